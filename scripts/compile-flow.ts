// Build step: lint the shipped flow and write it as JSON beside the bundle (the wizard loads it without YAML).
import { writeFileSync } from 'node:fs';
import { CATALOG } from '../src/checks/index.js';
import { loadFlowFile } from '../src/flow/loader.js';
import { formatProblem, lintFlow } from '../src/flow/lint.js';
import { COMPILED_FLOW, compileFlow } from '../src/session/shipped-flow.js';

const flow = loadFlowFile(new URL('../flows/nginx-502.yaml', import.meta.url).pathname);
const problems = lintFlow(flow, CATALOG);
if (problems.length) {
  process.stderr.write(`the flow is incomplete:\n${problems.map(formatProblem).join('\n')}\n`);
  process.exit(1);
}
writeFileSync(new URL(`../dist/${COMPILED_FLOW}`, import.meta.url), JSON.stringify(compileFlow(flow)));
