import type { CommandSpec } from '../hosts/host.js';
import type { PathKind, PathKinds } from '../nginx/route-types.js';

/**
 * One line per path, in order: d (a directory), f (exists, not a directory), n (nothing there), as
 * nginx's try_files and index tell them apart. The paths travel as arguments, never inside the script.
 */
const SCRIPT = 'for p do if [ -d "$p" ]; then echo d; elif [ -e "$p" ]; then echo f; else echo n; fi; done';

export function pathKindsCommand(paths: readonly string[]): CommandSpec {
  return { argv: ['sh', '-c', SCRIPT, 'sh', ...paths], timeoutMs: 5_000 };
}

const KIND: Record<string, PathKind> = { d: 'dir', f: 'file', n: 'none' };

/** The answers of pathKindsCommand(paths); a path whose line is missing or garbled stays unknown. */
export function parsePathKinds(paths: readonly string[], stdout: string): PathKinds {
  const lines = stdout.split('\n');
  const out: Record<string, PathKind> = {};
  paths.forEach((path, i) => {
    const kind = KIND[lines[i] ?? ''];
    if (kind) out[path] = kind;
  });
  return out;
}
