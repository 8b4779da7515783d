/**
 * What a backend's side of the box says happened, as events in (naive) time: supervisord's own log
 * (spawned, stopped, exited, entered FATAL), pm2's (an app exited, starting), php-fpm's ("server reached pm.max_children", "child N exited
 * on signal"), gunicorn's (a master starting or shutting down), the kernel's OOM kills, and the crash lines
 * src/system/backend-logs.ts knows (tracebacks, fatal errors). Pure; tested on lines captured in the lab.
 */
import { crashLines, lineTime } from '../system/backend-logs.js';
import type { BackendEvent, EventKind } from './types.js';

const RULES: { re: RegExp; kind: EventKind }[] = [
  // supervisord: "INFO spawned: 'api' with pid 61", "INFO stopped: shop (exit status 0)",
  // "WARN exited: api (exit status 1; not expected)", "INFO gave up: api entered FATAL state, too many start retries too quickly"
  { re: /\bINFO spawned: '[^']+' with pid \d+/, kind: 'restart' },
  { re: /\bINFO stopped: \S+ \(/, kind: 'stop' },
  { re: /\bWARN exited: \S+ \((?:exit status \d+|terminated by SIG\w+)[^)]*not expected\)/, kind: 'exit' },
  { re: /\bgave up: \S+ entered FATAL state/, kind: 'fatal' },
  // php-fpm
  { re: /WARNING: \[pool [^\]]+\] server reached (?:pm\.)?max_children setting/, kind: 'max-children' },
  { re: /WARNING: \[pool [^\]]+\] child \d+ exited on signal (?:9|11|6|7|4|8)\b/, kind: 'child-killed' },
  { re: /NOTICE: fpm is running, pid \d+/, kind: 'restart' },
  // pm2's own log (~/.pm2/pm2.log): "App [api:0] exited with code [0] via signal [SIGSEGV]", "App [api:0] starting in -fork mode-"
  { re: /PM2 log: App \[[^\]]+\] exited with code \[(?:[1-9]\d*\] via signal \[\w+|\d+\] via signal \[SIG(?:SEGV|KILL|ABRT|BUS|ILL|FPE))\]/, kind: 'exit' },
  { re: /PM2 log: App \[[^\]]+\] starting in /, kind: 'restart' },
  // gunicorn
  { re: /\[INFO\] Starting gunicorn /, kind: 'restart' },
  { re: /\[INFO\] Shutting down: Master/, kind: 'stop' },
];

/** Events in one log file's text; `source` names the file. Lines without a time stamp are left out. */
export function logEvents(text: string, source: string, year: number): BackendEvent[] {
  const out: BackendEvent[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const rule = RULES.find((r) => r.re.test(line));
    if (!rule) continue;
    const time = lineTime(line, year);
    if (time !== null) out.push({ time, kind: rule.kind, source, line });
  }
  // Tracebacks, fatal errors and workers killed by a signal (gunicorn's "Worker with pid 57 was terminated due
  // to signal 11"): the crash's own lines for the developer. A line a rule above already read is not read twice.
  const seen = new Set(out.map((e) => e.line));
  for (const crash of crashLines(text, { from: -Infinity, to: Infinity }, year)) {
    if (crash.time === null || seen.has(crash.lines[0] as string)) continue;
    out.push({ time: crash.time, kind: crash.kind === 'signal' ? 'child-killed' : 'crash-line', source, line: crash.lines.join(' | ') });
  }
  return out;
}

/**
 * Crash lines without time stamps (a Python traceback on stderr, between an app's stamped request lines):
 * the last few, placed at no time.
 */
export function unstampedCrashes(text: string, year: number): string[] {
  const unstamped = text
    .split('\n')
    .filter((line) => lineTime(line, year) === null)
    .join('\n');
  return crashLines(unstamped, { from: -Infinity, to: Infinity }, year)
    .filter((c) => c.time === null)
    .slice(-3)
    .map((c) => c.lines.join(' | '));
}

/**
 * The kernel's OOM kills (`dmesg`): "Memory cgroup out of memory: Killed process 23345 (python3) ..." and
 * "Out of memory: Killed process N (name)", placed in time by the box's uptime now and its clock now.
 */
export function oomKills(dmesg: string, uptimeNow: number, nowMs: number): BackendEvent[] {
  const out: BackendEvent[] = [];
  for (const raw of dmesg.split('\n')) {
    const m = /^\[\s*(\d+\.\d+)\]\s+(.*\bKilled process \d+ \(([^)]*)\).*)$/.exec(raw.trimEnd());
    if (!m) continue;
    const time = Math.round(nowMs - (uptimeNow - Number(m[1])) * 1000);
    out.push({ time, kind: 'oom-kill', source: 'kernel', line: (m[2] as string).replace(/ total-vm:.*$/, ''), process: m[3] as string });
  }
  return out;
}

/** ListenOverflows from /proc/net/netstat: how often a listen queue was full since boot (null: not shown). */
export function listenOverflows(netstat: string): number | null {
  const lines = netstat.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = (lines[i] as string).split(/\s+/);
    const values = (lines[i + 1] as string).split(/\s+/);
    if (names[0] !== 'TcpExt:' || values[0] !== 'TcpExt:') continue;
    const at = names.indexOf('ListenOverflows');
    return at > 0 && values[at] !== undefined ? Number(values[at]) : null;
  }
  return null;
}
