import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FlowError, loadFlowFile } from '../flow/loader.js';
import { formatProblem, lintFlow, type Catalog } from '../flow/lint.js';

function flowFiles(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })) throw new FlowError(path, null, 'no such file or folder');
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(path, name));
}

/** Every problem in the flows under these paths, one line each as file:line: problem. */
export function lintPaths(paths: string[], catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const path of paths) {
    try {
      for (const file of flowFiles(path)) {
        try {
          problems.push(...lintFlow(loadFlowFile(file), catalog).map(formatProblem));
        } catch (error) {
          if (!(error instanceof FlowError)) throw error;
          problems.push(error.message);
        }
      }
    } catch (error) {
      if (!(error instanceof FlowError)) throw error;
      problems.push(error.message);
    }
  }
  return problems;
}
