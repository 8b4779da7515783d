import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { CONFIG_READ_SCRIPT } from './config-read-script.js';

/** The line the script writes on stderr before it runs nginx -T itself. */
const FELL_BACK = /^badgateway: config-read: nginx -T: (.*)$/m;

/** The value of a flag that takes one (`-c FILE` or `-cFILE`), skipping -g's value; '' when absent. */
export function flagValue(args: readonly string[], flag: 'c' | 'p'): string {
  let found = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-g') i++;
    else if (arg === `-${flag}`) found = args[++i] ?? '';
    else if (arg.startsWith(`-${flag}`)) found = arg.slice(2);
  }
  return found;
}

/**
 * The running nginx's configuration as `nginx -T` would print it, read from its files in one command
 * (config-read-script.ts); the script runs nginx -T itself when it cannot be sure the files are what nginx
 * loaded. The binary, PID and paths travel as arguments, never inside the script.
 */
export function configReadCommand(binary: string, masterPid: number, args: readonly string[]): CommandSpec {
  return { argv: ['sh', '-c', CONFIG_READ_SCRIPT, 'sh', binary, String(masterPid), flagValue(args, 'p'), flagValue(args, 'c'), ...args], timeoutMs: 20_000 };
}

export const isConfigRead = (argv: readonly string[]): boolean => argv[0] === 'sh' && argv[2] === CONFIG_READ_SCRIPT;

export interface ReadFile {
  file: string;
  /** Bytes, as stat says. */
  size: number;
}

/** What a config-read command says about how it got its stdout. */
export type ConfigRead =
  /** The files read: stdout is nginx -T's framing of them; each glob pattern with the paths it matched. */
  | { kind: 'read'; files: ReadFile[]; globs: Map<string, string[]>; loadedAt: number }
  /** The script ran nginx -T itself: stdout, stderr and code are nginx -T's. */
  | { kind: 'dumped'; reason: string }
  /** It did not finish (not run, killed, no shell). */
  | { kind: 'failed'; reason: string };

/** Parsed once per result: plan() and interpret() both ask, and 20,000 files are 20,000 lines. */
const parsed = new WeakMap<CommandResult, ConfigRead>();

export function parseConfigRead(run: CommandResult | undefined): ConfigRead {
  if (!run) return { kind: 'failed', reason: 'not run' };
  let found = parsed.get(run);
  if (!found) {
    // The same answer comes as several results (the login probe's, the kept read's): 20,000 file lines are read once.
    found = lastParsed && sameAnswer(lastParsed.answer, run) ? lastParsed.found : parseRun(run);
    parsed.set(run, found);
    lastParsed = { answer: { code: run.code, failure: run.failure, stderr: run.stderr }, found };
  }
  return found;
}

/** What parseRun() reads of a result. */
type ReadAnswer = Pick<CommandResult, 'code' | 'failure' | 'stderr'>;

let lastParsed: { answer: ReadAnswer; found: ConfigRead } | null = null;

const sameAnswer = (a: ReadAnswer, b: ReadAnswer): boolean => a.code === b.code && a.failure === b.failure && a.stderr === b.stderr;

function parseRun(run: CommandResult): ConfigRead {
  const fell = FELL_BACK.exec(run.stderr);
  if (fell) return { kind: 'dumped', reason: fell[1]! };
  if (run.code !== 0) return { kind: 'failed', reason: run.failure ?? (run.stderr.trim().split('\n')[0] || `exit ${run.code}`) };
  const files: ReadFile[] = [];
  const globs = new Map<string, string[]>();
  let loadedAt = Number.NaN;
  const text = run.stderr;
  for (let at = 0; at < text.length; ) {
    const eol = text.indexOf('\n', at);
    const line = text.slice(at, eol === -1 ? text.length : eol);
    at = eol === -1 ? text.length : eol + 1;
    if (line.startsWith('file\t')) {
      // file, a field the manifest does not use, the size, the path (which may hold tabs): 20,000 of these on a big box.
      const second = line.indexOf('\t', 5);
      const third = second === -1 ? -1 : line.indexOf('\t', second + 1);
      if (third !== -1) files.push({ file: line.slice(third + 1), size: Number(line.slice(second + 1, third)) });
      continue;
    }
    if (line.startsWith('glob\t')) {
      // glob, the pattern, then one path it matched (none: it matched nothing).
      const tab = line.indexOf('\t', 5);
      const pattern = tab === -1 ? line.slice(5) : line.slice(5, tab);
      const matches = globs.get(pattern) ?? [];
      if (tab !== -1) matches.push(line.slice(tab + 1));
      globs.set(pattern, matches);
    } else if (line.startsWith('loaded\t')) loadedAt = Number(line.split('\t')[1]);
  }
  if (files.length === 0) return { kind: 'failed', reason: 'the reader listed no file' };
  return { kind: 'read', files, globs, loadedAt };
}
