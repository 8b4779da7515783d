import type { CommandSpec } from '../hosts/host.js';

/** nginx -T as the running master was started (its -c, -p, -g); nginx.find runs it early beside -V. */
export function configDumpCommand(binary: string, args: readonly string[]): CommandSpec {
  return { argv: [binary, ...args, '-T'], timeoutMs: 20_000 };
}
