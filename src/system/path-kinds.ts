import type { CommandSpec } from '../hosts/host.js';
import type { PathKind, PathKinds } from '../nginx/route-types.js';

/**
 * One line per path, in order: d (a directory), f (exists, not a directory), n (nothing there, or nothing
 * the tester may see), as nginx's try_files and index tell them apart. nginx's workers test paths as their
 * own user, so when the script runs as root it tests as that user (runuser); otherwise as whoever runs it.
 * The user and the paths travel as arguments, never inside the script.
 */
const TEST = 'for p do if [ -d "$p" ]; then echo d; elif [ -e "$p" ]; then echo f; else echo n; fi; done';
const SCRIPT = [
  'u=$1; shift',
  `if [ -n "$u" ] && [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 && id -u -- "$u" >/dev/null 2>&1; then exec runuser -u "$u" -- sh -c '${TEST}' sh "$@"; fi`,
  TEST,
].join('\n');

/** The paths asked are the arguments after the script's name and the user. */
const FIRST_PATH = 5;

export function pathKindsCommand(paths: readonly string[], asUser = ''): CommandSpec {
  return { argv: ['sh', '-c', SCRIPT, 'sh', asUser, ...paths], timeoutMs: 5_000 };
}

/** The paths a pathKindsCommand asked about, from its argv. */
export function pathsAsked(argv: readonly string[]): string[] {
  return argv.slice(FIRST_PATH);
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
