import { CATALOG } from '../catalog.js';
import { loadFlowFile } from '../flow/loader.js';
import { formatProblem, lintFlow } from '../flow/lint.js';
import type { Flow } from '../flow/schema.js';
import { defaultFlowFile } from '../session/flows.js';
import { EXIT, fail } from './exit.js';

/** A flow from its YAML, linted: an incomplete flow never runs. */
export function loadCheckedFlow(file: string | null): Flow {
  const flow = loadFlowFile(file ?? defaultFlowFile());
  const problems = lintFlow(flow, CATALOG);
  if (problems.length) fail(`the flow is incomplete:\n${problems.map(formatProblem).join('\n')}`, EXIT.usage);
  return flow;
}
