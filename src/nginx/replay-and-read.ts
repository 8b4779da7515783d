/**
 * The error-log step as one command, so it costs one round trip: the log's size and its tail, then
 * (when the request can be sent again) the replay through nginx and the bytes nginx appended during
 * it. A fixed sh script; the log path, the tail size and the replay's argv are its positional
 * arguments, never part of the script. Parts are marked by lines carrying a nonce the script draws
 * itself: a log line cannot fake one, and a recording's redaction (which changes lengths) keeps them.
 */
import type { CommandResult, CommandSpec } from '../hosts/host.js';

const SCRIPT = [
  'log=$1 bytes=$2; shift 2',
  'n=$(od -An -N8 -tx1 /dev/urandom 2>/dev/null | tr -d " \\n"); [ -n "$n" ] || n=$$',
  'd=$(mktemp -d) || exit 3',
  'trap \'rm -rf "$d"\' EXIT',
  'printf \'@@bgw-log %s\\n\' "$n"',
  'part() {',
  '  i=$1; shift',
  '  "$@" </dev/null >"$d/o" 2>"$d/e"; c=$?',
  '  printf \'@@%s %s %s\\n\' "$n" "$i" "$c"; cat "$d/o"; printf \'\\n@@%s stderr\\n\' "$n"; cat "$d/e"; printf \'\\n@@%s end\\n\' "$n"',
  '}',
  'part 0 stat -c %s -- "$log"',
  'size=$(cat "$d/o")',
  'part 1 tail -c "$bytes" -- "$log"',
  'if [ $# -gt 0 ]; then',
  '  part 2 "$@"',
  '  case $size in ""|*[!0-9]*) ;; *) part 3 tail -c "+$((size + 1))" -- "$log" ;; esac',
  'fi',
].join('\n');

interface Part {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parts the script printed, by their number; null when its first line (the nonce) is missing. */
function parseParts(stdout: string): Map<number, Part> | null {
  const first = /^@@bgw-log ([0-9a-f]+|\d+)\n/.exec(stdout);
  if (!first) return null;
  const nonce = first[1] as string;
  const parts = new Map<number, Part>();
  const head = new RegExp(`^@@${nonce} (\\d) (\\d+)\\n`);
  let rest = stdout.slice(first[0].length);
  for (let guard = 0; guard < 4 && rest.startsWith(`@@${nonce} `); guard++) {
    const match = head.exec(rest);
    const errAt = rest.indexOf(`\n@@${nonce} stderr\n`);
    const endAt = rest.indexOf(`\n@@${nonce} end\n`);
    if (!match || errAt < 0 || endAt < errAt) break;
    const stdoutStart = match[0].length;
    parts.set(Number(match[1]), {
      code: Number(match[2]),
      stdout: rest.slice(stdoutStart, errAt),
      stderr: rest.slice(errAt + `\n@@${nonce} stderr\n`.length, endAt),
    });
    rest = rest.slice(endAt + `\n@@${nonce} end\n`.length);
  }
  return parts;
}

export interface LogParts {
  size: CommandResult;
  tail: CommandResult;
  /** Absent when the request was not sent again (a POST is never replayed). */
  replay?: CommandResult;
  /** What nginx wrote during the replay; absent when the size was unknown. */
  appended?: CommandResult;
}

/** The one command: reads `log` (its last `tailBytes`), and with `replay`, sends it and reads what was appended. */
export function replayAndReadCommand(log: string, tailBytes: number, replay?: CommandSpec): CommandSpec {
  const argv = ['sh', '-c', SCRIPT, 'badgateway-error-log', log, String(tailBytes), ...(replay?.argv ?? [])];
  return { argv, timeoutMs: (replay?.timeoutMs ?? 0) + 10_000 };
}

/**
 * Splits the command's output into the commands it stands for, each with the argv a person would type.
 * null when the output holds no parts (the script could not run: no sh, no temp folder).
 */
export function logParts(run: CommandResult, log: string, tailBytes: number, replay?: CommandSpec): LogParts | null {
  const parts = parseParts(run.stdout);
  const size = parts?.get(0);
  const tail = parts?.get(1);
  if (!size || !tail) return null;
  const as = (argv: string[], part: Part | undefined): CommandResult | undefined => part && { argv, ...part, ms: run.ms };
  const knownSize = size.code === 0 ? Number.parseInt(size.stdout.trim(), 10) : NaN;
  const appended = Number.isFinite(knownSize) ? as(['tail', '-c', `+${knownSize + 1}`, '--', log], parts?.get(3)) : undefined;
  const replayed = replay ? as(replay.argv, parts?.get(2)) : undefined;
  return {
    size: as(['stat', '-c', '%s', '--', log], size) as CommandResult,
    tail: as(['tail', '-c', String(tailBytes), '--', log], tail) as CommandResult,
    ...(replayed ? { replay: replayed } : {}),
    ...(appended ? { appended } : {}),
  };
}
