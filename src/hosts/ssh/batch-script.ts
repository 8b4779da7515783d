/**
 * Several commands in one round trip: a script for the long-lived remote shell that runs them all at
 * once and prints each one's exit code, stdout and stderr in a frame as soon as it ends. Building it
 * and reading the frames back are pure; every value in the script goes through commandLine()/quote().
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

/**
 * A command's words as the script runs them: under timeout(1) when asked, stdin from a pipe or
 * /dev/null, without the script's fd 3; once it ends, its index goes down the fifo on fd 3.
 */
function job(command: BatchCommand, index: number): string {
  const argv = command.killAfterS !== undefined ? ['timeout', '-s', 'KILL', String(command.killAfterS), ...command.argv] : [...command.argv];
  const out = `>"$d/${index}o" 2>"$d/${index}e" 3>&-`;
  const after = `echo $? >"$d/${index}c"; echo ${index} >&3`;
  if (command.stdin === undefined) return `{ ${commandLine(argv)} </dev/null ${out}; ${after}; } &`;
  return `{ printf %s ${quote(command.stdin)} | ${commandLine(argv)} ${out}; ${after}; } &`;
}

/**
 * The script for one batch. It runs in a subshell with its own temp folder, so nothing it does stays
 * in the long-lived shell. Each command's frame, `@@bgw ID INDEX CODE OUTBYTES ERRBYTES` and the bytes,
 * is printed as soon as that command ends (the jobs name themselves on a fifo, one short line each, so
 * frames never interleave); then `@@bgw ID end`.
 */
export function batchScript(id: string, commands: readonly BatchCommand[]): string {
  if (!/^[A-Za-z0-9-]+$/.test(id)) throw new Error(`bad batch id ${id}`);
  return [
    '(',
    `d=$(mktemp -d) && mkfifo "$d/f" && exec 3<>"$d/f" || { printf '%s\\n' '${FRAME} ${id} failed'; rm -rf "$d"; exit 0; }`,
    ...commands.map(job),
    'n=0',
    `while [ $n -lt ${commands.length} ] && read i <&3; do`,
    `  printf '${FRAME} ${id} %s %s %s %s\\n' "$i" "$(cat "$d/\${i}c" 2>/dev/null || echo x)" "$(wc -c <"$d/\${i}o")" "$(wc -c <"$d/\${i}e")"`,
    `  cat "$d/\${i}o" "$d/\${i}e"`,
    '  n=$((n+1))',
    'done',
    'wait',
    `printf '%s\\n' '${FRAME} ${id} end'`,
    'rm -rf "$d"',
    ') </dev/null',
    '',
  ].join('\n');
}

/**
 * `argv` under timeout(1) when the box has it, as it is when not: for commands sent before the box
 * said whether it has it (the login's own batch).
 */
export function killedIfAble(argv: readonly string[], seconds: number): string[] {
  return ['sh', '-c', 's=$1; shift; if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL "$s" "$@"; fi; exec "$@"', 'badgateway-login', String(seconds), ...argv];
}

/**
 * The argv that starts a long-lived shell with a batch already under way: the batch's frames come
 * back in the same flight as the shell's start, so the first answers cost no round trip of their own.
 */
export function shellOpeningWith(id: string, commands: readonly BatchCommand[]): string[] {
  return ['sh', '-c', `${batchScript(id, commands)}exec sh`];
}

/** What a batch's frames say so far. */
export interface FrameRead {
  /** Each command's answer at its index, once its whole frame is there. */
  results: (FramedResult | undefined)[];
  /** The end line came, or the frames cannot be read (failed says why). */
  done: boolean;
  failed?: string;
}

/**
 * Reads the frames of batch `id` as the shell's output grows: each call gets the whole output so far and
 * parses only what came since, so a large output costs its length once, not once per chunk. Frames come
 * in the order the commands ended; anything before the first frame (a chatty login script) is skipped.
 */
export class FrameReader {
  private readonly head: Buffer;
  private readonly results: (FramedResult | undefined)[];
  /** Where the next frame starts in the output; -1 until the first frame is seen. */
  private at = -1;
  private finished: FrameRead | undefined;

  constructor(
    id: string,
    private readonly count: number,
  ) {
    this.head = Buffer.from(`${FRAME} ${id} `);
    this.results = new Array(count).fill(undefined);
  }

  read(output: Buffer): FrameRead {
    if (this.finished) return this.finished;
    const pending = (): FrameRead => ({ results: this.results, done: false });
    const failed = (why: string): FrameRead => (this.finished = { results: this.results, done: true, failed: why });
    if (this.at < 0) this.at = output.indexOf(this.head);
    if (this.at < 0) return pending();
    const head = this.head;
    for (;;) {
      const next = output.subarray(this.at, this.at + head.length);
      if (!next.equals(head.subarray(0, next.length))) return failed('batch output out of step with its frames');
      const eol = output.indexOf(10, this.at + head.length);
      if (next.length < head.length || eol < 0) return pending();
      const line = output.subarray(this.at + head.length, eol).toString('utf8');
      if (line === 'end') break;
      if (line === 'failed') return failed('the box could not make a temp folder and fifo (mktemp -d, mkfifo) for the batch');
      const match = /^(\d+) (\d+|x) +(\d+) +(\d+)$/.exec(line.trim());
      const index = Number(match?.[1]);
      if (!match || index >= this.count || this.results[index]) return failed(`unreadable batch frame: ${JSON.stringify(line.slice(0, 80))}`);
      const [outBytes, errBytes] = [Number(match[3]), Number(match[4])];
      const body = eol + 1;
      if (output.length < body + outBytes + errBytes) return pending();
      this.results[index] = {
        code: match[2] === 'x' ? null : Number(match[2]),
        stdout: output.subarray(body, body + outBytes).toString('utf8'),
        stderr: output.subarray(body + outBytes, body + outBytes + errBytes).toString('utf8'),
      };
      this.at = body + outBytes + errBytes;
    }
    const answered = this.results.filter(Boolean).length;
    if (answered !== this.count) return failed(`the batch answered ${answered} of ${this.count} commands`);
    return (this.finished = { results: this.results, done: true });
  }
}

/** All the frames of batch `id` in one finished (or cut) output. */
export function parseFrames(id: string, output: Buffer, count: number): FrameRead {
  return new FrameReader(id, count).read(output);
}
