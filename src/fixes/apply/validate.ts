/**
 * Testing new config files before they are put in place: the program's own test (nginx -t with the
 * running master's -c/-p/-g, php-fpm -t) runs in a private mount namespace where each candidate is
 * bind-mounted over the file it replaces. The whole tree is tested exactly as it will be read, and
 * nothing outside that namespace sees the candidates.
 */
import type { Box } from './box.js';
import { said } from './box.js';

export interface Bind {
  candidate: string;
  target: string;
}

/** Exit code of the wrapper when a bind mount fails (so it is not mistaken for the test failing). */
export const BIND_FAILED = 97;

const BIND_SCRIPT = `while [ "$#" -gt 0 ] && [ "$1" != -- ]; do mount --bind -- "$1" "$2" || exit ${BIND_FAILED}; shift 2; done; shift; exec "$@"`;

/** The test command, run with the candidates in place of their targets (values as positional arguments). */
export function validateArgv(binds: readonly Bind[], test: readonly string[]): string[] {
  if (!binds.length) return [...test];
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', BIND_SCRIPT, 'sh', ...binds.flatMap((b) => [b.candidate, b.target]), '--', ...test];
}

/** nginx -t for a new main config file: the same command with -c pointing at it. */
export function withConfFile(test: readonly string[], conf: string): string[] {
  const at = test.indexOf('-c');
  if (at >= 0) return [...test.slice(0, at + 1), conf, ...test.slice(at + 2)];
  const t = test.lastIndexOf('-t');
  return t >= 0 ? [...test.slice(0, t), '-c', conf, ...test.slice(t)] : [...test, '-c', conf];
}

export type Validation = { ok: true; command: string[]; output: string } | { ok: false; command: string[]; output: string; cannot?: boolean };

/** Runs the test with the candidates bound in place. `cannot`: the namespace could not be made (no privilege). */
export async function validateWith(box: Box, binds: readonly Bind[], test: readonly string[]): Promise<Validation> {
  const argv = validateArgv(binds, test);
  const result = await box.run({ argv, timeoutMs: 30_000 });
  const output = `${result.stderr}${result.stdout}`.trim();
  if (result.code === 0) return { ok: true, command: argv, output };
  const cannot = binds.length > 0 && (result.failure === 'not-found' || result.code === BIND_FAILED || /^unshare: /m.test(result.stderr));
  return { ok: false, command: argv, output: output || said(result), ...(cannot ? { cannot } : {}) };
}
