import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flow } from '../flow/schema.js';
import { defaultFlowFile } from './locate.js';

/** The default flow as the build compiled and linted it, beside the bundle. */
export const COMPILED_FLOW = 'nginx-502.flow.json';

export interface CompiledFlow extends Omit<Flow, 'lines'> {
  lines: [string, number][];
}

export function compileFlow(flow: Flow): CompiledFlow {
  return { ...flow, lines: [...flow.lines.entries()] };
}

function compiledBeside(): string | null {
  const path = join(dirname(fileURLToPath(import.meta.url)), COMPILED_FLOW);
  return existsSync(path) ? path : null;
}

/**
 * The flow to walk. The shipped flow was linted when it was built, so it loads without YAML or schema
 * code; a flow file edited since then (or --flow) is read and linted now.
 */
export async function loadFlow(file: string | null): Promise<Flow> {
  const compiled = file === null ? compiledBeside() : null;
  if (compiled) {
    const yaml = defaultFlowFile();
    if (statSync(compiled).mtimeMs >= statSync(yaml).mtimeMs) {
      const data = JSON.parse(readFileSync(compiled, 'utf8')) as CompiledFlow;
      return { ...data, lines: new Map(data.lines) };
    }
  }
  return (await import('./checked.js')).loadCheckedFlow(file);
}
