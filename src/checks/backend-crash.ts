import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, Listener } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import {
  crashLines,
  fdListCommand,
  HOST_NOW,
  HOST_ZONE,
  kernelCrashLines,
  logFilesInArgs,
  logFilesOf,
  nginxTime,
  parseFdLinks,
  parsePsAges,
  parseUptime,
  parseUtcOffset,
  PS_AGES,
  type CrashLine,
  type KernelLine,
  type ProcessAge,
  type Window,
} from '../system/backend-logs.js';
import { isSupervisord, parsePm2List, parseSupervisorStatus, pm2Command, pm2Home, type Pm2App, unitFromCgroup } from '../system/services.js';
import { parseServiceDefs, type ServiceDefinition, SUPERVISOR_CONFS, serviceDefsCommand, supervisorProgramLogs } from '../system/service-defs.js';
import { parseSs } from '../system/ss.js';
import { defineCheck, type CheckResult } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { failedServer, listenersAt } from '../facts/failed-server.js';

const SS = ['ss', '-Hltnxp'];
const DMESG = ['dmesg'];
const UPTIME = ['cat', '--', '/proc/uptime'];
const SUPERVISOR = ['supervisorctl', 'status'];
const TAIL_BYTES = 64 * 1024;
const MAX_LOGS = 4;
/** This many deaths in one log around the error, with nothing listening now: it dies as soon as it starts. */
const LOOP_DEATHS = 3;
/**
 * Crash lines this long before nginx's error line still count (a worker may die a little before nginx
 * notices), and this long after it (clocks and log buffering); later crashes did not cause this error.
 */
const BEFORE_MS = 120_000;
const AFTER_MS = 30_000;

const same = (run: CommandResult, argv: readonly string[]) => run.argv.join('\0') === argv.join('\0');
const ran = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => same(r, argv));

interface Backend {
  listeners: Listener[];
  /** The topmost processes of the backend: the master or supervisor, whose logs and age tell the story. */
  roots: ProcessAge[];
  all: ProcessAge[];
}

function backendOf(facts: KnownFacts, done: readonly CommandResult[]): Backend {
  const server = failedServer(facts);
  const ssRun = ran(done, SS);
  const psRun = ran(done, PS_AGES);
  const nginxMaster = need(facts, 'nginx.masterPid');
  const processes = psRun?.code === 0 ? parsePsAges(psRun.stdout) : [];
  const nginxPids = new Set([nginxMaster, ...processes.filter((p) => p.ppid === nginxMaster).map((p) => p.pid)]);
  const listeners = server && ssRun ? listenersAt(server, parseSs(ssRun.stdout)).filter((l) => l.pid === null || !nginxPids.has(l.pid)) : [];
  const pids = new Set(listeners.flatMap((l) => l.pids ?? (l.pid !== null ? [l.pid] : [])));
  const all = processes.filter((p) => pids.has(p.pid));
  const roots = all.filter((p) => !pids.has(p.ppid));
  return { listeners, roots: roots.slice(0, 2), all };
}

/** The pm2 daemons on the box, by the home each serves (at most two are asked). */
function pm2Homes(done: readonly CommandResult[]): string[] {
  const psRun = ran(done, PS_AGES);
  const processes = psRun?.code === 0 ? parsePsAges(psRun.stdout) : [];
  return [...new Set(processes.map((p) => pm2Home(p.args)).filter((h): h is string => h !== null))].slice(0, 2);
}

/**
 * The pm2 app behind the dialled address: the one whose process listens there, else (it died, and pm2 is
 * starting it again) the one whose PORT or arguments name it. With the home of its daemon, whose pm2.log
 * records each exit ("App [api:0] exited with code [0] via signal [SIGSEGV]").
 */
function pm2AppOf(facts: KnownFacts, done: readonly CommandResult[]): { home: string; app: Pm2App } | null {
  const server = failedServer(facts);
  const { all } = backendOf(facts, done);
  for (const home of pm2Homes(done)) {
    const apps = parsePm2List(ran(done, pm2Command(home, 'jlist'))?.stdout ?? '');
    const app =
      apps.find((a) => a.pid !== null && all.some((p) => p.pid === a.pid)) ??
      apps.find((a) => (server?.kind === 'tcp' ? a.port === server.port : server?.kind === 'unix' && a.command.includes(server.socket)));
    if (app) return { home, app };
  }
  return null;
}

/** The service definitions that name the dialled address: an init script or its /etc/default file, a runit or s6 run script, a supervisord program. */
function definitionsOf(facts: KnownFacts, done: readonly CommandResult[]): ServiceDefinition[] {
  const address = dialled(facts);
  const run = address ? ran(done, serviceDefsCommand(address)) : undefined;
  return address && run?.code === 0 ? parseServiceDefs(run.stdout, address) : [];
}

function dialled(facts: KnownFacts) {
  const server = failedServer(facts);
  if (!server) return null;
  return server.kind === 'unix' ? ({ kind: 'unix', path: server.socket } as const) : ({ kind: 'tcp', port: server.port } as const);
}

const supervisordRuns = (done: readonly CommandResult[]) => {
  const psRun = ran(done, PS_AGES);
  return psRun?.code === 0 && parsePsAges(psRun.stdout).some((p) => isSupervisord(p.args));
};

/** The backend's topmost process is a supervisord program's: its output goes through supervisord's pipes to the program's log files. */
function underSupervisord(done: readonly CommandResult[], roots: readonly ProcessAge[]): boolean {
  const psRun = ran(done, PS_AGES);
  const processes = psRun?.code === 0 ? parsePsAges(psRun.stdout) : [];
  return roots.some((r) => processes.some((p) => p.pid === r.ppid && isSupervisord(p.args)));
}

/** The log files of the supervisord program whose process is one of the roots, as its own section names them. */
function supervisorLogs(done: readonly CommandResult[], roots: readonly ProcessAge[]): string[] {
  const status = ran(done, SUPERVISOR);
  const confs = ran(done, SUPERVISOR_CONFS);
  if (!status || !confs) return [];
  const program = parseSupervisorStatus(status.stdout).find((p) => p.pid !== null && roots.some((r) => r.pid === p.pid));
  return program ? supervisorProgramLogs(confs.stdout, program.name) : [];
}

/** pm2.log holds every app's exits: only the lines about this app (by its name, or its script when pm2 gives up on it) count. */
function ownLines(file: string, text: string, pm2: { home: string; app: Pm2App } | null): string {
  if (!pm2 || file !== `${pm2.home}/pm2.log`) return text;
  const script = pm2.app.command.split(' ')[0];
  return text
    .split('\n')
    .filter((l) => l.includes(`App [${pm2.app.name}:`) || (!!script && l.includes(`Script ${script} `)))
    .join('\n');
}

function logTails(done: readonly CommandResult[]): { file: string; text: string }[] {
  return done.filter((r) => r.argv[0] === 'tail' && r.code === 0).map((r) => ({ file: r.argv.at(-1) as string, text: r.stdout }));
}

/** The kernel's lines about processes named like the backend's, within the window; dmesg times are seconds since boot. */
function kernelLines(results: readonly CommandResult[], names: string[], now: number | null, window: Window): KernelLine[] {
  const dmesg = ran(results, DMESG);
  const uptime = parseUptime(ran(results, UPTIME)?.stdout ?? '');
  if (dmesg?.code !== 0 || uptime === null || now === null) return [];
  return kernelCrashLines(dmesg.stdout, names).filter((k) => {
    const when = now - (uptime - k.uptime) * 1000;
    return when >= window.from && when <= window.to;
  });
}

const kindWords: Record<ServiceDefinition['kind'], string> = {
  supervisor: "supervisord's program",
  sysv: 'the init script',
  systemd: 'the systemd unit',
  runit: "runit's service",
  s6: "s6's service",
};
const starterOf: Record<ServiceDefinition['kind'], string> = { supervisor: 'supervisord', sysv: 'its init script', systemd: 'systemd', runit: "runit's runsv", s6: "s6's s6-supervise" };

/** The same death logged again and again (a crash loop) is shown once, at its last time. */
const distinct = <T extends { crash: CrashLine }>(found: T[]): T[] => found.filter((f, i) => !found.slice(i + 1).some((g) => g.crash.lines.join('\n') === f.crash.lines.join('\n')));

const age = (seconds: number) => (seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`);

const OUTCOMES = ['crashed', 'crash-loop', 'no-sign'] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * The backend accepted nginx's connection and then closed or reset it. Did it crash? Its own log (found
 * through the files its processes hold open), the kernel's log, and the age of its processes say.
 */
export const backendCrash = defineCheck({
  id: 'backend.crash',
  guide: 'backend-running',
  outcomes: OUTCOMES,
  // Without nginx's error line (its log unreadable), the window is around now.
  needs: ['upstream.target', 'upstream.kind', 'nginx.masterPid'],
  // Every round reads (processes, open files, logs), but only once the error line is known: the replay
  // that wrote it may be what crashed the backend again.
  early: 'every-round',
  aheadNeeds: ['upstream.target', 'upstream.kind', 'nginx.masterPid', 'error.latest'],
  learns: [],
  learnsOn: {
    crashed: ['crash.summary', 'crash.lines', 'crash.logs', 'crash.listening', 'backend.process'],
    'crash-loop': ['crash.summary', 'crash.lines', 'crash.logs', 'crash.listening', 'backend.process'],
  },

  // Every command here looks at the backend's own box: its processes, their logs, its kernel and clock.
  plan(facts, done) {
    return planHere(facts, done).map(onBackend);
  },

  interpret(facts, results): CheckResult<Outcome> {
    if (unseen(ran(results, SS))) {
      return {
        outcome: 'no-sign',
        facts: {},
        summary: "no sign of a crash could be looked for: the backend's box was not examined",
        evidence: [notExamined(need(facts, 'upstream.target'), 'whether the backend crashed (its logs, its kernel log, its processes)')],
      };
    }
    return readCrash(facts, results);
  },
});

function planHere(facts: KnownFacts, done: readonly CommandResult[]): CommandSpec[] {
  if (done.length === 0) return [{ argv: SS }, { argv: PS_AGES }, { argv: HOST_NOW }, { argv: HOST_ZONE }, { argv: DMESG }, { argv: UPTIME }];
  const { roots, all } = backendOf(facts, done);
  const fdRuns = roots.map((p) => fdListCommand(p.pid));
  const address = dialled(facts);
  const defs = address ? serviceDefsCommand(address) : null;
  const asked = (r: CommandResult) =>
    r.argv[0] === 'find' || (r.argv[0] === 'cat' && r.argv[2]?.endsWith('/cgroup')) || (r.argv[0] === 'env' && r.argv.at(-1) === 'jlist') || (defs !== null && same(r, defs));
  if (!done.some(asked)) {
    // Only a pm2 daemon that runs is asked, with its own home: any other `pm2 jlist` starts a daemon; supervisorctl only while supervisord runs.
    const pm2 = pm2Homes(done).map((home): CommandSpec => ({ argv: pm2Command(home, 'jlist') }));
    // The service that should listen there names its logs (its /etc/default options, a run script's log/run), also while it is down.
    const definitions: CommandSpec[] = defs ? [{ argv: defs, timeoutMs: 8000 }] : [];
    const supervisor: CommandSpec[] = supervisordRuns(done) ? [{ argv: SUPERVISOR, timeoutMs: 8000 }] : [];
    // A program's output goes through supervisord's pipes to the log files its own section names.
    const programConfs: CommandSpec[] = underSupervisord(done, roots) ? [{ argv: SUPERVISOR_CONFS }] : [];
    return [...roots.flatMap((p): CommandSpec[] => [{ argv: fdListCommand(p.pid) }, { argv: ['cat', '--', `/proc/${p.pid}/cgroup`] }]), ...pm2, ...definitions, ...supervisor, ...programConfs];
  }
  if (done.some((r) => r.argv[0] === 'tail')) return [];
  // The logs its own arguments name (one opened per write is held by no fd), then the files it holds open,
  // then what pm2 writes for the app (its output and errors go through pm2's daemon, not to a file it holds),
  // or supervisord for its program (through pipes: the files are supervisord's, named in the program's section).
  const pm2 = pm2AppOf(facts, done);
  const files = [
    ...new Set([
      ...all.flatMap((p) => logFilesInArgs(p.args)),
      ...fdRuns.flatMap((argv) => logFilesOf(parseFdLinks(ran(done, argv)?.stdout ?? ''))),
      ...(pm2 ? [`${pm2.home}/pm2.log`, ...pm2.app.logs] : []),
      ...definitionsOf(facts, done).flatMap((d) => d.logs),
      ...supervisorLogs(done, roots),
    ]),
  ];
  return files.slice(0, MAX_LOGS).map((file) => ({ argv: ['tail', '-c', String(TAIL_BYTES), '--', file] }));
}

function readCrash(facts: KnownFacts, results: readonly CommandResult[]): CheckResult<Outcome> {
  const error = facts['error.latest'];
  const { listeners, roots, all } = backendOf(facts, results);
  const now = nginxTime(ran(results, HOST_NOW)?.stdout ?? '');
  const errorAt = (error ? nginxTime(error.time) : null) ?? now;
  const window = errorAt !== null ? { from: errorAt - BEFORE_MS, to: errorAt + AFTER_MS } : { from: 0, to: Number.MAX_SAFE_INTEGER };
  const year = new Date(errorAt ?? Date.now()).getUTCFullYear();
  const names = [...new Set(listeners.map((l) => l.process).filter((n): n is string => !!n))];
  const pm2 = pm2AppOf(facts, results);
  const defs = definitionsOf(facts, results);
  const process = names[0] ?? (pm2 ? `pm2's app ${pm2.app.name}` : defs[0] ? `${kindWords[defs[0].kind]} ${defs[0].name}` : 'the backend');
  const offset = parseUtcOffset(ran(results, HOST_ZONE)?.stdout ?? '');
  const evidence: Evidence[] = [];

  evidence.push({
    command: shownCommand(SS, PS_AGES),
    lines: all.length
      ? all.slice(0, 6).map((p) => `pid ${p.pid}${roots.some((r) => r.pid === p.pid) ? ' (main)' : ''} started ${age(p.seconds)} ago: ${p.args.slice(0, 100)}`)
      : [`no process of this box listens at ${need(facts, 'upstream.target')}`],
  });

  if (pm2) {
    const { app, home } = pm2;
    const restarts = app.restarts !== null ? `, started again ${app.restarts} time${app.restarts === 1 ? '' : 's'} by pm2` : '';
    evidence.push({
      command: shownCommand(pm2Command(home, 'jlist')),
      lines: [`pm2 (${home}) runs the app ${app.name} for it: ${app.status}${app.pid !== null ? `, pid ${app.pid}` : ''}${restarts}`],
    });
  }

  const address = dialled(facts);
  const named = defs.filter((d) => d.logs.length);
  if (address && named.length) {
    evidence.push({
      command: shownCommand(serviceDefsCommand(address)),
      lines: named.slice(0, 3).map((d) => `${d.file} (${kindWords[d.kind]} ${d.name}) names its log: ${d.logs.join(', ')}`),
    });
  }
  const program = supervisordRuns(results) ? parseSupervisorStatus(ran(results, SUPERVISOR)?.stdout ?? '').find((p) => defs.some((d) => d.kind === 'supervisor' && d.name === p.name)) : undefined;
  if (program) evidence.push({ command: shownCommand(SUPERVISOR), lines: [`supervisord's program ${program.name}: ${program.state}`] });

  const tails = logTails(results);
  const found: { file: string; crash: CrashLine }[] = tails.flatMap((t) => crashLines(ownLines(t.file, t.text, pm2), window, year, offset).map((crash) => ({ file: t.file, crash })));
  for (const t of tails) {
    const mine = found.filter((f) => f.file === t.file);
    evidence.push({
      command: shownCommand(['tail', '-c', String(TAIL_BYTES), '--', t.file]),
      lines: mine.length
        ? distinct(mine)
            .slice(-6)
            .flatMap((f) => f.crash.lines)
        : ['no crash, kill or fatal error around the time of the error'],
      ...(mine.some((f) => f.crash.time === null) ? { note: 'this log has no time stamps: these are its last crash lines, not necessarily the ones at the time of the error' } : {}),
    });
  }
  if (roots.length && !tails.length) evidence.push({ lines: [`${process} writes no log file this tool can find (its output goes to a terminal, a pipe or the journal)`] });

  const kernel = kernelLines(results, names, now, window);
  if (kernel.length) evidence.push({ command: shownCommand(DMESG), lines: kernel.slice(-4).map((k) => k.text), note: `the kernel names processes only by name: ${names.join(', ')}` });

  const sinceError = now !== null && errorAt !== null ? Math.max(0, (now - errorAt) / 1000) : null;
  const restarted = sinceError !== null ? roots.filter((p) => p.seconds < sinceError) : [];

  const learnedLines = [...found.slice(-6).flatMap((f) => f.crash.lines), ...kernel.slice(-3).map((k) => k.text)];
  const logs = tails.map((t) => t.file);
  const unitRun = results.find((r) => r.argv[0] === 'cat' && r.argv[2]?.endsWith('/cgroup') && r.code === 0);
  const unit = unitRun ? unitFromCgroup(unitRun.stdout) : null;
  const learned: KnownFacts = { 'crash.lines': learnedLines, 'crash.logs': logs, 'crash.listening': listeners.length > 0, 'backend.process': process, ...(unit ? { 'crash.unit': unit } : {}) };

  // A supervisor that gave up on it, or one log with death after death while nothing listens: it dies as it starts.
  const restarts = pm2?.app.restarts ? ` ${pm2.app.restarts} time${pm2.app.restarts === 1 ? '' : 's'}` : '';
  const gaveUp =
    pm2?.app.status === 'errored'
      ? `pm2 started it again${restarts}, then gave up on it (status errored)`
      : program && /^(FATAL|BACKOFF)$/.test(program.state)
        ? program.state === 'FATAL'
          ? 'supervisord started it again until it gave up (state FATAL)'
          : 'supervisord starts it again and again (state BACKOFF)'
        : null;
  const deaths = Math.max(0, ...tails.map((t) => found.filter((f) => f.file === t.file).length));
  const newest = [...found].reverse().find((f) => f.crash.kind !== 'gave-up') ?? found.at(-1);
  if (!listeners.length && newest && (gaveUp || deaths >= LOOP_DEATHS)) {
    const who = pm2 ? 'pm2' : defs[0] ? starterOf[defs[0].kind] : 'what runs it';
    const said = `${newest.file} says: ${newest.crash.kind === 'traceback' ? newest.crash.lines.at(-1) : newest.crash.lines[0]}`;
    const summary = `${process} dies as soon as it starts; ${gaveUp ?? `${who} starts it again and again (${deaths} deaths in its log around the error)`}, so nothing listens at ${need(facts, 'upstream.target')}: ${said}`;
    return { outcome: 'crash-loop', facts: { ...learned, 'crash.summary': summary }, summary: `the backend crash-loops at start: ${summary}`, evidence };
  }
  if (newest || kernel.length || restarted.length) {
    const said = newest
      ? `${process}'s log ${newest.file} says: ${newest.crash.kind === 'traceback' ? newest.crash.lines.at(-1) : newest.crash.lines[0]}`
      : kernel.length
        ? `the kernel says: ${kernel.at(-1)!.text}`
        : `${process} (pid ${restarted[0]!.pid}) started ${age(restarted[0]!.seconds)} ago, after nginx's error: it was restarted`;
    const summary = `${said}${restarted.length && newest ? `; its main process started again ${age(restarted[0]!.seconds)} ago` : ''}`;
    return { outcome: 'crashed', facts: { ...learned, 'crash.summary': summary }, summary: `the backend crashed: ${summary}`, evidence };
  }
  return {
    outcome: 'no-sign',
    facts: {},
    summary: tails.length ? `${process}'s logs show no crash around the time of the error` : `no log of ${process} to read, and no kernel or restart sign of a crash`,
    evidence,
  };
}
