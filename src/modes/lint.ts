import { CATALOG } from '../catalog.js';
import { flowsDir } from '../flow-files/locate.js';
import { lintPaths } from '../flow-files/lint-paths.js';
import { EXIT } from './exit.js';
import { stderrLine } from '../shell/stderr.js';

export function lint(paths: string[]): number {
  const problems = lintPaths(paths.length ? paths : [flowsDir()], CATALOG);
  for (const problem of problems) stderrLine(problem);
  if (!problems.length) process.stdout.write('flows are complete: every outcome branches, every node is reached, every path ends\n');
  return problems.length ? EXIT.usage : 0;
}
