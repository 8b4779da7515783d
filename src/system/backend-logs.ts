/**
 * What a backend's own logs and the kernel say about a crash. Pure parsers, tested on real output
 * (test/fixtures/crash/):
 *
 * - which log files a process writes: `find /proc/PID/fd -mindepth 1 -maxdepth 1 -printf '%f\t%l\n'`
 *   ("2<TAB>/var/log/php8.2-fpm.log"); its stdout/stderr and anything named like a log;
 * - process ages: `ps -eo pid=,ppid=,etimes=,args=`;
 * - lines that mean a worker died: php-fpm's "child 123 exited on signal 9 (SIGKILL)", a supervisor's
 *   "died on signal 11", Python's "Fatal Python error" and tracebacks, Go panics, Node's heap exhaustion;
 * - the kernel's lines (`dmesg`): OOM kills and segfaults of a process by name, placed in time with
 *   /proc/uptime.
 *
 * Times in logs carry no zone we can trust, so every time here is "naive": the wall-clock fields read as
 * if they were UTC. Two naive times from the same box subtract correctly.
 */

export function fdListCommand(pid: number): string[] {
  return ['find', `/proc/${pid}/fd`, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\t%l\\n'];
}

export const PS_AGES = ['ps', '-eo', 'pid=,ppid=,etimes=,args='];
export const HOST_NOW = ['date', '+%Y/%m/%d %H:%M:%S'];
export const HOST_ZONE = ['date', '+%z'];

export interface FdLink {
  fd: number;
  target: string;
}

export function parseFdLinks(stdout: string): FdLink[] {
  const out: FdLink[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\d+)\t(.+)$/.exec(line);
    if (m) out.push({ fd: Number(m[1]), target: m[2] as string });
  }
  return out;
}

/** Files a process writes its log to: stdout/stderr when they are files, and open files named like logs. */
export function logFilesOf(links: readonly FdLink[]): string[] {
  const files = links.filter(
    (l) =>
      l.target.startsWith('/') &&
      !l.target.startsWith('/dev/') &&
      !l.target.startsWith('/proc/') &&
      !l.target.endsWith(' (deleted)') &&
      (l.fd === 1 || l.fd === 2 || /(^|[/._-])(log|logs|err|error)([/._-]|$)/i.test(l.target)),
  );
  return [...new Set(files.map((l) => l.target))];
}

/** Options by which a backend is told where to log: gunicorn, uwsgi, and the usual spellings of apps' own. */
const LOG_OPTIONS = new Set(['--log', '--log-file', '--logfile', '--log-path', '--error-log', '--error-logfile', '--errorlog', '--logto', '--logto2', '--daemonize']);

/**
 * Log files a process was told to write by its own arguments ("--error-logfile /var/log/app/error.log",
 * "--logto=/var/log/uwsgi/app.log"), as ps shows them (words joined by spaces). Only absolute paths:
 * a relative one depends on a working directory ps does not show.
 */
export function logFilesInArgs(args: string): string[] {
  const words = args.split(' ').filter((w) => w !== '');
  const out: string[] = [];
  for (const [i, raw] of words.entries()) {
    // A shell assignment's first word: DAEMON_OPTS='--log=/var/log/api.log' (or "--log /var/log/api.log").
    const word = raw.replace(/^[A-Za-z_]\w*=["']?(?=-)/, '').replace(/^["']+/, '');
    const eq = word.indexOf('=');
    const [option, given] = eq > 0 ? [word.slice(0, eq), word.slice(eq + 1)] : [word, words[i + 1] ?? ''];
    // A shell file's quoting stays on the words: DAEMON_OPTS="--port 8001 --log /var/log/api.log".
    const value = given.replace(/^["']+|["';]+$/g, '');
    if (LOG_OPTIONS.has(option) && value.startsWith('/') && !value.startsWith('/dev/') && !value.startsWith('/proc/')) out.push(value);
  }
  return [...new Set(out)];
}

export interface ProcessAge {
  pid: number;
  ppid: number;
  /** Seconds since the process started. */
  seconds: number;
  args: string;
}

export function parsePsAges(stdout: string): ProcessAge[] {
  const out: ProcessAge[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line.trimEnd());
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), seconds: Number(m[3]), args: m[4] as string });
  }
  return out;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function naive(year: number, month: number, day: number, h: number, m: number, s: number): number {
  return Date.UTC(year, month, day, h, m, s);
}

/** nginx's "2026/11/21 13:20:52" (also the format of HOST_NOW) as a naive time; null when it is not one. */
export function nginxTime(text: string): number | null {
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(text.trim());
  return m ? naive(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : null;
}

/**
 * The time stamp near the start of a log line, in the formats backends use: 2026-11-21 13:20:52 (ISO,
 * Python logging, gunicorn), 2026/11/21 13:20:52 (nginx), 21-Nov-2026 13:20:52 (php-fpm),
 * 21/Nov/2026:13:20:52 or 21/Nov/2026 13:20:52 (access logs), Nov 21 13:20:52 (syslog; year from `year`),
 * Sun Dec  6 09:55:57 2026 (C's ctime: uWSGI with log-date).
 */
export function lineTime(line: string, year: number): number | null {
  const head = line.slice(0, 64);
  let m = /(\d{4})[-/](\d\d)[-/](\d\d)[T ](\d\d):(\d\d):(\d\d)/.exec(head);
  if (m) return naive(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  m = /(\d\d)[-/]([A-Za-z]{3})[-/](\d{4})[: ](\d\d):(\d\d):(\d\d)/.exec(head);
  if (m && MONTHS.includes(m[2]!.toLowerCase())) return naive(+m[3]!, MONTHS.indexOf(m[2]!.toLowerCase()), +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = /^[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\b/.exec(head);
  if (m && MONTHS.includes(m[1]!.toLowerCase())) return naive(+m[6]!, MONTHS.indexOf(m[1]!.toLowerCase()), +m[2]!, +m[3]!, +m[4]!, +m[5]!);
  m = /^([A-Za-z]{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)\b/.exec(head);
  if (m && MONTHS.includes(m[1]!.toLowerCase())) return naive(year, MONTHS.indexOf(m[1]!.toLowerCase()), +m[2]!, +m[3]!, +m[4]!, +m[5]!);
  return null;
}

export type CrashKind = 'signal' | 'exit' | 'terminated' | 'fatal' | 'traceback' | 'oom' | 'gave-up';

export interface CrashLine {
  kind: CrashKind;
  /** The line itself, and for a traceback or fatal error the lines that name where and what. */
  lines: string[];
  /** Naive time of the line (or of the nearest time stamp above it); null when the log has none. */
  time: number | null;
  /** A signal the worker died of, e.g. "SIGKILL", when the line says. */
  signal?: string;
}

// Signals that end a worker against its will; SIGTERM and SIGQUIT are also how reloads and idle-reaping end them.
const CRASH_SIGNALS = new Set([4, 6, 7, 8, 9, 11]);
const SIGNAL_NAMES: Record<number, string> = { 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV' };

function signalLine(line: string): { signal: string } | null {
  // php-fpm: "child 123 exited on signal 9 (SIGKILL)"; uWSGI: "killed by signal 9"; supervisors: "died on signal 11";
  // gunicorn 20: "Worker with pid 56 was terminated due to signal 11"
  const m = /\b(?:exited|died|killed|terminated) (?:on|by|due to) signal (\d+)/i.exec(line);
  if (m && CRASH_SIGNALS.has(Number(m[1]))) return { signal: SIGNAL_NAMES[Number(m[1])] as string };
  // supervisord: "terminated by SIGKILL"; gunicorn: "Worker (pid:12) was sent SIGKILL!"; systemd: "status=9/KILL"
  const named = /\b(?:terminated by|was sent|code=killed, status=\d+\/)\s*(SIG)?(KILL|SEGV|ABRT|BUS|ILL|FPE)\b/.exec(line);
  if (named) return { signal: `SIG${named[2]}` };
  return null;
}

const FATAL = [/^Fatal Python error: /, /\bSegmentation fault\b/i, /\bcore dumped\b/, /JavaScript heap out of memory/, /^FATAL ERROR: /, /^panic: /, /^fatal error: /, /\bWORKER TIMEOUT\b/];
const OOM = [/\bOut of memory\b/i, /\boom-kill\b/, /\bkilled by the OOM killer\b/i, /Perhaps out of memory\?/, /\bMemoryError\b/];

/** One crash line found in a log, or null. `next` holds the lines after it, for the detail of a traceback. */
function crashAt(line: string, next: readonly string[]): Omit<CrashLine, 'time'> | null {
  const text = line.trimEnd();
  // php-fpm's request_terminate_timeout: the worker is killed mid-request on purpose.
  if (/\bexecution timed out \([\d.]+ sec\), terminating\b/.test(text)) return { kind: 'terminated', lines: [text] };
  // uWSGI's harakiri: the master kills a worker whose request outlived it, and says so before the kill is reaped.
  if (/\*\*\* HARAKIRI ON WORKER \d+ \(pid: \d+/.test(text)) return { kind: 'terminated', lines: [text] };
  if (OOM.some((re) => re.test(text))) return { kind: 'oom', lines: [text] };
  const signal = signalLine(text);
  if (signal) return { kind: 'signal', lines: [text], signal: signal.signal };
  // pm2's daemon: "App [api:0] exited with code [0] via signal [SIGSEGV]" (a crash by its signal, or by its code).
  const pm2 = /\bexited with code \[(\d+)\] via signal \[(SIG[A-Z]+|null)\]/.exec(text);
  if (pm2) {
    const sig = /^SIG(KILL|SEGV|ABRT|BUS|ILL|FPE)$/.test(pm2[2] as string) ? (pm2[2] as string) : null;
    if (sig) return { kind: 'signal', lines: [text], signal: sig };
    // An uncaught exception reads "exited with code [1] via signal [SIGINT]"; `pm2 stop` gives code 0.
    return pm2[1] !== '0' ? { kind: 'exit', lines: [text] } : null;
  }
  // A supervisor that stopped starting it: pm2's 'Script /srv/api/server.js had too many unstable restarts (3). Stopped. "errored"',
  // supervisord's "gave up: api entered FATAL state, too many start retries too quickly".
  if (/\bhad too many unstable restarts \(\d+\)\. Stopped\./.test(text) || /\bgave up: \S+ entered FATAL state/.test(text)) return { kind: 'gave-up', lines: [text] };
  const exited = /\bchild \d+ exited with code (\d+)/.exec(text);
  if (exited && exited[1] !== '0') return { kind: 'exit', lines: [text] };
  if (FATAL.some((re) => re.test(text))) {
    // Python's fault handler lists the innermost frames first, a few lines below.
    const frames = next
      .slice(0, 6)
      .filter((l) => /^\s+File "/.test(l))
      .slice(0, 2)
      .map((l) => l.trimEnd());
    return { kind: 'fatal', lines: [text, ...frames] };
  }
  // Node's uncaught exception, as pm2 writes it to the app's error log: "Error: ..." and its stack of "    at ..." lines.
  if (/^(?:Uncaught )?[A-Z]?[A-Za-z]*(?:Error|Exception)(?: \[[A-Z_]+\])?: /.test(text) && /^\s+at /.test(next[0] ?? '')) {
    return { kind: 'fatal', lines: [text, (next[0] as string).trimEnd()] };
  }
  if (/^Traceback \(most recent call last\):/.test(text)) {
    // Indented frames, innermost last, then the exception itself on the first line that is not indented.
    const end = next.findIndex((l) => l.trim() !== '' && !/^\s/.test(l));
    const frames = end === -1 ? next : next.slice(0, end);
    // The innermost frame of the program's own code: below it are only the interpreter's modules (<frozen os>, importlib).
    const all = [...frames].reverse().filter((l) => /^\s+File "/.test(l));
    const frame = all.find((l) => !/^\s+File "(<|\/usr\/(local\/)?lib\/python3|[^"]*\/(site|dist)-packages\/)/.test(l)) ?? all[0];
    const exception = end === -1 ? undefined : next[end];
    return { kind: 'traceback', lines: [text, ...(frame ? [frame.trimEnd()] : []), ...(exception ? [exception.trimEnd()] : [])] };
  }
  return null;
}

/** A span of naive times, both ends included. */
export interface Window {
  from: number;
  to: number;
}

/**
 * Crash lines in a log's tail that happened within the window (naive ms). A line without a time stamp
 * takes the time of the nearest stamped line above it. In a log with no time stamps at all, only the
 * last 200 lines count, and their time is null: a person has to judge.
 */
export function crashLines(text: string, window: Window, year: number, utcOffsetMs = 0): CrashLine[] {
  // A logger's stamps are UTC; the window, like nginx's times, is the box's wall clock.
  const lines = text.split('\n').map((raw) => {
    const l = loggerStamp(raw);
    return l.time === null ? l : { ...l, time: l.time + utcOffsetMs };
  });
  const stamped = lines.some((l) => l.time !== null || lineTime(l.text, year) !== null);
  const out: CrashLine[] = [];
  let time: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as Stamped;
    time = line.time ?? lineTime(line.text, year) ?? time;
    const found = crashAt(
      line.text,
      lines.slice(i + 1, i + 201).map((l) => l.text),
    );
    if (!found) continue;
    if (stamped ? time === null || time < window.from || time > window.to : i < lines.length - 200) continue;
    out.push({ ...found, time: stamped ? time : null });
  }
  return out;
}

interface Stamped {
  text: string;
  /** The logger's stamp (UTC, in ms), when a logger put one before the line. */
  time: number | null;
}

/** TAI64N labels count TAI seconds from 2^62; TAI is ahead of UTC by 10 s plus the leap seconds since 1972 (27). */
const TAI_AHEAD_OF_UTC = 37;

/** `date +%z` ("+0100", "-0530") as milliseconds to add to UTC for the box's wall clock; 0 when unreadable. */
export function parseUtcOffset(text: string): number {
  const m = /^([+-])(\d\d)(\d\d)$/.exec(text.trim());
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0;
}

/**
 * A line as a supervision logger wrote it, its stamp taken off: svlogd -tt's "2026-12-06_14:58:55.19326 "
 * and the TAI64N label of svlogd -t and s6-log t ("@400000006b15785435065c21 "). The program's own line follows.
 */
export function loggerStamp(line: string): Stamped {
  const svlogd = /^(\d{4})-(\d\d)-(\d\d)_(\d\d):(\d\d):(\d\d)\.\d+ /.exec(line);
  if (svlogd) return { text: line.slice(svlogd[0].length), time: naive(+svlogd[1]!, +svlogd[2]! - 1, +svlogd[3]!, +svlogd[4]!, +svlogd[5]!, +svlogd[6]!) };
  const tai = /^@([0-9a-f]{16})[0-9a-f]{8} /.exec(line);
  if (tai) {
    const seconds = Number(BigInt(`0x${tai[1]}`) - (1n << 62n)) - TAI_AHEAD_OF_UTC;
    return { text: line.slice(tai[0].length), time: seconds * 1000 };
  }
  return { text: line, time: null };
}

export interface KernelLine {
  /** Seconds since boot, as dmesg prints it. */
  uptime: number;
  text: string;
  name: string;
  pid: number | null;
  kind: 'oom' | 'segfault';
}

/** The kernel's lines about processes with these names (comm, up to 15 characters) being killed or crashing. */
export function kernelCrashLines(dmesg: string, names: readonly string[]): KernelLine[] {
  const wanted = new Set(names.map((n) => n.slice(0, 15)));
  const out: KernelLine[] = [];
  for (const raw of dmesg.split('\n')) {
    const m = /^\[\s*(\d+\.\d+)\]\s+(.*)$/.exec(raw.trimEnd());
    if (!m) continue;
    const text = m[2] as string;
    const oom = /Killed process (\d+) \(([^)]+)\)/.exec(text) ?? /oom-kill:.*\btask=([^,]+),pid=(\d+)/.exec(text);
    if (oom) {
      const [name, pid] = /^Killed/.test(oom[0]) ? [oom[2], oom[1]] : [oom[1], oom[2]];
      if (wanted.has(name as string)) out.push({ uptime: Number(m[1]), text, name: name as string, pid: Number(pid), kind: 'oom' });
      continue;
    }
    const fault = /^(?:traps: )?(\S+?)\[(\d+)\]:? (?:segfault at|general protection fault|trap )/.exec(text);
    if (fault && wanted.has(fault[1] as string)) out.push({ uptime: Number(m[1]), text, name: fault[1] as string, pid: Number(fault[2]), kind: 'segfault' });
  }
  return out;
}

/** Seconds since boot, from /proc/uptime ("12345.67 54321.00"). */
export function parseUptime(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s/.exec(text.trim() + ' ');
  return m ? Number(m[1]) : null;
}
