// Build step: lint the shipped flow and write it as JSON beside the bundle (the wizard loads it without YAML).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCheckedFlow } from '../src/flow-files/checked.js';
import { COMPILED_FLOW, compileFlow } from '../src/flow-files/shipped.js';

const flow = loadCheckedFlow(fileURLToPath(new URL('../flows/nginx-502.yaml', import.meta.url)));
writeFileSync(new URL(`../dist/${COMPILED_FLOW}`, import.meta.url), JSON.stringify(compileFlow(flow)));
