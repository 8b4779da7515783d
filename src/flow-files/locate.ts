import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** flows/ beside the bundle (dist/) or beside src/ in development. */
export function flowsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'flows', 'nginx-502.yaml'))) return join(dir, 'flows');
    dir = dirname(dir);
  }
  throw new Error('cannot find the flows/ folder next to badgateway');
}

export function defaultFlowFile(): string {
  return join(flowsDir(), 'nginx-502.yaml');
}
