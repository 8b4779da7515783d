/**
 * Several commands in one round trip: a script for the long-lived remote shell that runs them all at
 * once, then prints each one's exit code, stdout and stderr in frames. Building it and reading the
 * frames back are pure; every value in the script goes through commandLine()/quote().
 */
import { commandLine, quote } from '../../shell/quote.js';

export interface BatchCommand {
  argv: readonly string[];
  stdin?: string;
  /** The box kills the command after this many seconds (coreutils timeout), when it has timeout(1). */
  killAfterS?: number;
}

export interface FramedResult {
  /** null when the command's exit code file was never written (the script was cut short). */
  code: number | null;
  stdout: string;
  stderr: string;
}

const FRAME = '@@bgw';

/** A command's words as the script runs them: under timeout(1) when asked, stdin from a pipe or /dev/null. */
function job(command: BatchCommand, index: number): string {
  const argv = command.killAfterS !== undefined ? ['timeout', '-s', 'KILL', String(command.killAfterS), ...command.argv] : [...command.argv];
  const out = `>"$d/${index}o" 2>"$d/${index}e"`;
  const status = `echo $? >"$d/${index}c"`;
  if (command.stdin === undefined) return `{ ${commandLine(argv)} </dev/null ${out}; ${status}; } &`;
  return `{ printf %s ${quote(command.stdin)} | ${commandLine(argv)} ${out}; ${status}; } &`;
}

/**
 * The script for one batch. It runs in a subshell with its own temp folder, so nothing it does
 * stays in the long-lived shell; each frame is `@@bgw ID INDEX CODE OUTBYTES ERRBYTES` and the bytes.
 */
export function batchScript(id: string, commands: readonly BatchCommand[]): string {
  if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`bad batch id ${id}`);
  const indexes = commands.map((_, i) => i).join(' ');
  return [
    '(',
    `d=$(mktemp -d) || { printf '%s\\n' '${FRAME} ${id} failed'; exit 0; }`,
    ...commands.map(job),
    'wait',
    `for i in ${indexes}; do`,
    `  printf '${FRAME} ${id} %s %s %s %s\\n' "$i" "$(cat "$d/\${i}c" 2>/dev/null || echo x)" "$(wc -c <"$d/\${i}o")" "$(wc -c <"$d/\${i}e")"`,
    `  cat "$d/\${i}o" "$d/\${i}e"`,
    'done',
    `printf '%s\\n' '${FRAME} ${id} end'`,
    'rm -rf "$d"',
    ') </dev/null',
    '',
  ].join('\n');
}

export type FrameParse = { done: false } | { done: true; results: FramedResult[] } | { done: true; failed: string };

/**
 * Reads the frames of batch `id` from what the shell printed so far. Anything before the first frame
 * (a chatty login script) is skipped. Not done until the end line is there.
 */
export function parseFrames(id: string, output: Buffer, count: number): FrameParse {
  const head = Buffer.from(`${FRAME} ${id} `);
  let at = output.indexOf(head);
  if (at < 0) return { done: false };
  const results: FramedResult[] = [];
  while (results.length <= count) {
    const eol = output.indexOf(10, at);
    if (eol < 0) return { done: false };
    const line = output.subarray(at + head.length, eol).toString('utf8');
    if (line === 'end') break;
    if (line === 'failed') return { done: true, failed: 'the box could not make a temp folder (mktemp -d) for the batch' };
    const match = /^(\d+) (\d+|x) +(\d+) +(\d+)$/.exec(line.trim());
    if (!match || Number(match[1]) !== results.length) return { done: true, failed: `unreadable batch frame: ${JSON.stringify(line.slice(0, 80))}` };
    const [outBytes, errBytes] = [Number(match[3]), Number(match[4])];
    const body = eol + 1;
    if (output.length < body + outBytes + errBytes) return { done: false };
    results.push({
      code: match[2] === 'x' ? null : Number(match[2]),
      stdout: output.subarray(body, body + outBytes).toString('utf8'),
      stderr: output.subarray(body + outBytes, body + outBytes + errBytes).toString('utf8'),
    });
    at = body + outBytes + errBytes;
    const next = output.subarray(at, at + head.length);
    if (!next.equals(head.subarray(0, next.length))) return { done: true, failed: 'batch output out of step with its frames' };
    if (next.length < head.length) return { done: false };
  }
  if (results.length !== count) return { done: true, failed: `the batch answered ${results.length} of ${count} commands` };
  return { done: true, results };
}
