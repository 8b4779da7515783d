import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { parseErrorLog } from '../nginx/error-log.js';
import { allErrorLogs } from '../nginx/route.js';
import { HOST_NOW, nginxTime, parsePsAges, parseUptime, PS_AGES } from '../system/backend-logs.js';
import { type AccessLine, accessLogs, accessSummary, missingUpstreamFields, parseAccessLog } from '../history/access-log.js';
import { adviceFor, type QueueNow, summaryOf } from '../history/advice.js';
import { episodesOf, failuresOf, historyReport } from '../history/episodes.js';
import { listenOverflows, logEvents, oomKills, unstampedCrashes } from '../history/events.js';
import { historyReadCommand, parseHistoryRead, type ReadFile } from '../history/read-script.js';
import type { BackendEvent, Episode } from '../history/types.js';
import { parseSs } from '../system/ss.js';
import { describeQueue, parseListenQueues, queueFor } from '../system/listen-queue.js';
import { isOnThisBox, listensAt, processStarts } from '../history/listeners.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';

const PER_FILE_BYTES = 256 * 1024;
const TOTAL_BYTES = 4 * 1024 * 1024;
/** However far the logs reach, history looks back no more than this. */
const MAX_WINDOW_MS = 7 * 24 * 3600_000;
const DMESG = ['dmesg'];
const UPTIME = ['cat', '--', '/proc/uptime'];
const NETSTAT = ['cat', '--', '/proc/net/netstat'];
const SS = ['ss', '-Hltnxp'];

const ran = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => r.argv.join('\0') === argv.join('\0'));
/** A file read is one of these logs or a rotated sibling of one. */
const ofLogs = (file: ReadFile, logs: readonly string[]) => logs.some((l) => file.path === l || (/^\.\d+(\.gz)?$/.test(file.path.slice(l.length)) && file.path.startsWith(l)));

function logsOf(facts: KnownFacts): { errorLogs: string[]; access: ReturnType<typeof accessLogs> } {
  const config = need(facts, 'nginx.config');
  const prefix = need(facts, 'nginx.prefix');
  const errorLogs = allErrorLogs(config, prefix).filter((l) => l.startsWith('/'));
  return { errorLogs: errorLogs.length ? errorLogs : [need(facts, 'nginx.defaultErrorLog')], access: accessLogs(config, prefix) };
}

/** The listen queue of a server as nginx's line names it ("unix:/run/app.sock", "127.0.0.1:8000"), and who holds it. */
function queueNow(server: string, ss: string, ps: string): QueueNow | undefined {
  const port = Number(/:(\d+)$/.exec(server)?.[1]);
  const target = server.startsWith('unix:') ? { socket: server.slice(5) } : { ip: server.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), port };
  if (!('socket' in target) && !Number.isFinite(port)) return undefined;
  const queue = queueFor(parseListenQueues(ss), target);
  if (!queue) return undefined;
  const pids = new Set(queue.listener.pids ?? (queue.listener.pid !== null ? [queue.listener.pid] : []));
  const holders = parsePsAges(ps).filter((p) => pids.has(p.pid));
  const top = holders.find((p) => !pids.has(p.ppid)) ?? holders[0];
  return { line: describeQueue(queue), ...(top ? { args: top.args } : {}) };
}

/** nginx's logs, on nginx's box. */
function nginxRead(facts: KnownFacts): string[] {
  const { errorLogs, access } = logsOf(facts);
  return historyReadCommand([...errorLogs, ...access.map((a) => a.path)], PER_FILE_BYTES, TOTAL_BYTES, false);
}
/** The backend's logs, on the backend's box (the same box, mostly). */
const BACKEND_READ = historyReadCommand([], PER_FILE_BYTES, TOTAL_BYTES, true);
/** What runs on the backend's box: its logs, the kernel's, its listen overflows, its listeners and their ages. */
const ON_BACKEND = [BACKEND_READ, UPTIME, DMESG, NETSTAT, SS, PS_AGES];

/**
 * The request works now: what happened before? Reads, in one round, nginx's error and access logs (rotated
 * and compressed ones too, bounded), the backend's side (supervisord's, php-fpm's and the programs' own
 * logs, the kernel's OOM kills, listen queue overflows) and groups nginx's failures into episodes; the
 * newest one decides.
 */
export const historyRead = defineCheck({
  id: 'history.read',
  guide: 'error-log',
  outcomes: ['restart-window', 'crash-loop', 'oom-kill', 'saturated', 'slow-endpoint', 'hung', 'unreachable', 'still-down', 'closed', 'other', 'quiet'],
  needs: ['nginx.config', 'nginx.prefix', 'nginx.defaultErrorLog', 'upstream.target'],
  learns: ['history.report'],
  learnsOn: Object.fromEntries(
    ['restart-window', 'crash-loop', 'oom-kill', 'saturated', 'slow-endpoint', 'hung', 'unreachable', 'still-down', 'closed', 'other'].map((o) => [o, ['history.summary', 'history.advice'] as const]),
  ),

  plan(facts, done) {
    if (done.length) return [];
    return [{ argv: nginxRead(facts), timeoutMs: 30_000 }, { argv: HOST_NOW }, ...ON_BACKEND.map((argv) => onBackend({ argv, timeoutMs: 30_000 }))];
  },

  interpret(facts, results) {
    const read = ran(results, nginxRead(facts));
    const backendRead = ran(results, BACKEND_READ);
    const now = nginxTime(ran(results, HOST_NOW)?.stdout ?? '') ?? Date.now();
    const year = new Date(now).getUTCFullYear();
    const files = read?.code === 0 ? (parseHistoryRead(read.stdout) ?? []) : [];
    const { errorLogs, access } = logsOf(facts);
    const sinceMs = facts['history.sinceMs'];
    const since = now - Math.min(sinceMs ?? MAX_WINDOW_MS, MAX_WINDOW_MS);
    const inWindow = <T extends { time: number }>(list: T[]) => list.filter((x) => x.time >= since && x.time <= now);

    const failures = inWindow(failuresOf(files.filter((f) => ofLogs(f, errorLogs)).flatMap((f) => parseErrorLog(f.text))));
    const notes: string[] = [];
    const statuses: AccessLine[] = [];
    for (const log of access) {
      const lines = files.filter((f) => ofLogs(f, [log.path])).flatMap((f) => parseAccessLog(f.text, log.format, year));
      statuses.push(...lines);
      const { missing, suggestion } = missingUpstreamFields(log.format);
      if (missing.length && suggestion) notes.push(`${log.path} (log_format ${log.formatName}) lacks ${missing.join(', ')}; this format adds them: ${suggestion}`);
    }
    const backendFiles = backendRead?.code === 0 ? (parseHistoryRead(backendRead.stdout) ?? []) : [];
    const dmesg = ran(results, DMESG);
    const uptime = parseUptime(ran(results, UPTIME)?.stdout ?? '');
    const events: BackendEvent[] = [...backendFiles.flatMap((f) => logEvents(f.text, f.path, year)), ...(dmesg?.code === 0 && uptime !== null ? oomKills(dmesg.stdout, uptime, now) : [])];
    const listeners = parseSs(ran(results, SS)?.stdout ?? '');
    const psRun = ran(results, PS_AGES);
    const starts = psRun?.code === 0 ? processStarts(listeners, parsePsAges(psRun.stdout), now) : [];
    const sameServer = (e: BackendEvent, upstream: string) => listeners.some((l) => listensAt(upstream, l) && e.server === (l.netid === 'unix' ? `unix:${l.path}` : `${l.address}:${l.port}`));
    const ssRun = ran(results, SS);
    // A refused server on this box where nothing listens now is not over: it is still down.
    const stillDown = (e: Episode) =>
      ssRun?.code === 0 &&
      (e.story === 'unreachable' || e.story === 'restart-window') &&
      e.kind === 'refused' &&
      isOnThisBox(e.upstream, listeners) &&
      !listeners.some((l) => listensAt(e.upstream, l));
    const overflows = listenOverflows(ran(results, NETSTAT)?.stdout ?? '');
    // Connection timeouts to a server of this box that listens, while the kernel counts listen queue
    // overflows: its queue was full and the kernel dropped nginx's SYNs (the counter is since boot).
    const queueDropped = (e: Episode) =>
      e.kind === 'connect-timeout' && e.story === 'slow-endpoint' && !!overflows && isOnThisBox(e.upstream, listeners) && listeners.some((l) => listensAt(e.upstream, l));
    const episodes = episodesOf(failures, inWindow([...events, ...starts]), sameServer).map((e) =>
      stillDown(e) ? { ...e, story: 'still-down' as const, cause: 'backend-down' } : queueDropped(e) ? { ...e, story: 'saturated' as const, cause: 'backend-saturated' } : e,
    );
    const counts: { time: number; status: number }[] = statuses.length ? statuses : failures;
    // Without --since the window starts where the logs read start (at most MAX_WINDOW_MS back).
    const oldest = [...inWindow(counts), ...episodes.flatMap((e) => e.events)].reduce((min, c) => Math.min(min, c.time), now);
    const report = historyReport({ since: sinceMs !== undefined ? since : oldest, until: now }, episodes, inWindow(counts), inWindow([...events, ...starts]), notes);

    const evidence: Evidence[] = [];
    if (read) {
      evidence.push({
        command: shownCommand(read.argv),
        lines: [
          `read ${files.length} log file${files.length === 1 ? '' : 's'}: ${files.map((f) => f.path).join(', ') || 'none'}`,
          ...(read.code !== 0 ? [read.stderr.trim() || read.failure || 'the read did not finish'] : []),
          ...notes,
        ],
      });
    }
    for (const episode of episodes.slice(-3)) {
      const access = accessSummary(statuses, episode.location, episode.first - 1000, episode.last + 1000);
      evidence.push({
        lines: [summaryOf(episode), ...episode.evidence, ...(access ? [access] : [])],
        note: `episode ${report.episodes.length - episodes.length + episodes.indexOf(episode) + 1} of ${episodes.length}`,
      });
    }
    const crashes = backendFiles.flatMap((f) => unstampedCrashes(f.text, year).map((line) => `${f.path}: ${line}`));
    if (crashes.length) evidence.push({ lines: crashes.slice(-3), note: "the backend's own crash lines (no time stamp)" });
    if (overflows) evidence.push({ command: shownCommand(NETSTAT), lines: [`ListenOverflows ${overflows}: a listen queue on this box was full that many times since boot`] });
    if (unseen(backendRead)) evidence.push(notExamined(need(facts, 'upstream.target'), "the backend's restarts, crashes and OOM kills"));
    else if (backendRead)
      evidence.push({
        command: shownCommand(backendRead.argv),
        lines: [`read ${backendFiles.length} log file${backendFiles.length === 1 ? '' : 's'} of the backend's side: ${backendFiles.map((f) => f.path).join(', ') || 'none'}`],
      });
    if (dmesg && dmesg.code !== 0 && !unseen(dmesg)) evidence.push({ command: shownCommand(DMESG), lines: [dmesg.stderr.trim() || 'dmesg could not run: OOM kills not read'] });

    const newest = episodes.at(-1);
    if (!newest) {
      return { outcome: 'quiet', facts: { 'history.report': report }, summary: 'no upstream error in the logs in the window: nothing happened that nginx logged', evidence };
    }
    const summary = summaryOf(newest);
    const advice = adviceFor(newest, { crashLines: crashes, overflows, queue: queueNow(newest.upstream, ran(results, SS)?.stdout ?? '', psRun?.code === 0 ? psRun.stdout : '') });
    return { outcome: newest.story, facts: { 'history.report': report, 'history.summary': summary, 'history.advice': advice }, summary, evidence };
  },
});
