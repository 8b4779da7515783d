import { CATALOG } from '../catalog.js';
import { formatProblem, lintFlow } from '../flow/lint.js';
import { IncompleteFlow } from '../flow/loader-error.js';
import { loadFlowFile } from '../flow/loader.js';
import type { Flow } from '../flow/schema.js';
import { defaultFlowFile } from './locate.js';

/** A flow from its YAML, linted: an incomplete flow never runs (IncompleteFlow, exit 2). */
export function loadCheckedFlow(file: string | null): Flow {
  const flow = loadFlowFile(file ?? defaultFlowFile());
  const problems = lintFlow(flow, CATALOG);
  if (problems.length) throw new IncompleteFlow(problems.map(formatProblem));
  return flow;
}
