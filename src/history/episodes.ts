/**
 * nginx's failures grouped into episodes (same server, same path, same kind of failure, no gap longer than
 * GAP_MS), each tied to what the backend's side shows at that time, and the cause that follows; the
 * 502s and 504s per minute. Pure.
 */
import type { UpstreamError } from '../facts/keys.js';
import { nginxTime } from '../system/backend-logs.js';
import type { BackendEvent, Episode, Failure, HistoryReport, Story } from './types.js';

/** A quiet spell this long ends an episode. */
export const GAP_MS = 5 * 60_000;
/** Backend events this long before an episode's first failure, or after its last, still belong to it. */
const BEFORE_MS = 2 * 60_000;
const AFTER_MS = 60_000;
/**
 * A process still running counts as a restart of its episode only when it started at most this long before
 * the first failure (a backend that is slow to bind its socket), or after it: one started long before
 * cannot explain failures to reach it.
 */
const STARTED_BEFORE_MS = 3000;

const TIMEOUTS = new Set(['read-timeout', 'connect-timeout', 'send-timeout']);
const UNREACHABLE = new Set(['refused', 'no-such-file', 'backlog-full']);
const CLOSED = new Set(['reset', 'premature-close']);

/** "http://127.0.0.1:8000/x" -> "127.0.0.1:8000"; "fastcgi://unix:/run/php.sock" -> "unix:/run/php.sock". */
export function serverOf(upstream: string | undefined): string {
  if (!upstream) return '';
  const rest = upstream.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (rest.startsWith('unix:')) return `unix:${rest.slice(5).split(':')[0]}`;
  return rest.split('/')[0] as string;
}

/** nginx's error lines as failures; lines without a time or that are the backend's own stderr are left out. */
export function failuresOf(errors: readonly UpstreamError[]): Failure[] {
  const out: Failure[] = [];
  for (const e of errors) {
    const time = nginxTime(e.time);
    if (time === null || e.kind === 'fastcgi-stderr') continue;
    const target = /^\S+ (\S+)/.exec(e.request ?? '')?.[1] ?? '';
    out.push({ time, kind: e.kind, upstream: serverOf(e.upstream), path: target.split('?')[0] as string, status: TIMEOUTS.has(e.kind) ? 504 : 502, line: e.line });
  }
  return out.sort((a, b) => a.time - b.time);
}

const has = (events: readonly BackendEvent[], ...kinds: BackendEvent['kind'][]) => events.filter((e) => kinds.includes(e.kind));

/** What an episode was, from the kind of failure and what the backend's side shows around it. */
export function storyOf(kind: string, events: readonly BackendEvent[]): { story: Story; cause: string } {
  if (has(events, 'oom-kill').length) return { story: 'oom-kill', cause: 'backend-crashed' };
  if (has(events, 'max-children').length) return { story: 'saturated', cause: 'backend-saturated' };
  if (kind === 'backlog-full') return { story: 'saturated', cause: 'backend-saturated' };
  if (has(events, 'exit', 'fatal', 'child-killed').length) return { story: 'crash-loop', cause: 'backend-crashed' };
  if (UNREACHABLE.has(kind) && has(events, 'restart', 'stop').length) return { story: 'restart-window', cause: 'backend-down' };
  if (TIMEOUTS.has(kind)) return { story: 'slow-endpoint', cause: kind === 'connect-timeout' ? 'connect-timeout' : 'read-timeout' };
  if (UNREACHABLE.has(kind)) return { story: 'unreachable', cause: kind === 'no-such-file' ? 'socket-missing' : 'backend-down' };
  if (CLOSED.has(kind)) return { story: 'closed', cause: 'backend-crashed' };
  return { story: 'other', cause: 'unknown' };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/** An OOM kill this close to a backend's SIGKILL death in its supervisor's or php-fpm's log is that death. */
const OOM_NEAR_MS = 5000;
const SIGKILLED = /\b(?:terminated by SIGKILL|exited on signal 9\b)|via signal \[SIGKILL\]/;

/**
 * The kernel's log is the whole machine's (and in containers, the host's): an OOM kill belongs to an episode
 * only when the backend's own supervisor saw one of its processes die of SIGKILL at that moment.
 */
function oomBelongs(kill: BackendEvent, events: readonly BackendEvent[]): boolean {
  const sigkills = events.filter((e) => (e.kind === 'exit' || e.kind === 'child-killed') && SIGKILLED.test(e.line));
  return sigkills.some((e) => Math.abs(e.time - kill.time) <= OOM_NEAR_MS);
}

/**
 * Failures grouped into episodes, oldest first, each with its backend events and story. `sameServer` says
 * whether an event tied to a listening address (a process start) is about the server an episode names.
 */
export function episodesOf(
  failures: readonly Failure[],
  events: readonly BackendEvent[],
  sameServer: (event: BackendEvent, upstream: string) => boolean = (e, upstream) => e.server === upstream,
): Episode[] {
  const open = new Map<string, { list: Failure[] }>();
  const groups: Failure[][] = [];
  for (const f of failures) {
    const key = `${f.upstream}\0${f.path}\0${TIMEOUTS.has(f.kind) ? 'timeout' : f.kind}`;
    const current = open.get(key);
    if (current && f.time - (current.list.at(-1) as Failure).time <= GAP_MS) {
      current.list.push(f);
      continue;
    }
    const list = [f];
    open.set(key, { list });
    groups.push(list);
  }
  const episodes = groups
    .map((list) => {
      const first = list[0] as Failure;
      const last = list.at(-1) as Failure;
      const around = events.filter(
        (e) => e.time >= first.time - (e.server === undefined ? BEFORE_MS : STARTED_BEFORE_MS) && e.time <= last.time + AFTER_MS && (e.server === undefined || sameServer(e, first.upstream)),
      );
      const near = around.filter((e) => e.kind !== 'oom-kill' || oomBelongs(e, around)).sort((a, b) => a.time - b.time);
      const { story, cause } = storyOf(first.kind, near);
      const evidence = [first.line, ...(list.length > 1 ? [last.line] : []), ...near.slice(-6).map((e) => `${e.source}: ${e.line}`)];
      return { story, cause, first: first.time, last: last.time, count: list.length, upstream: first.upstream, location: first.path, kind: first.kind, evidence, events: near };
    })
    .sort((a, b) => a.last - b.last || a.first - b.first);
  return episodes.map((e) => (e.story === 'slow-endpoint' && e.kind === 'read-timeout' && othersTimedOut(e, episodes) ? { ...e, story: 'hung' as const, cause: 'backend-hung' } : e));
}

/**
 * One slow endpoint times out alone; when another path of the same server timed out in the same spell
 * (their windows overlap), the server answered nothing at all then: it hung (stopped, deadlocked, every
 * worker stuck), and no single endpoint was slow.
 */
function othersTimedOut(e: Episode, all: readonly Episode[]): boolean {
  return all.some((o) => o !== e && o.upstream === e.upstream && o.location !== e.location && o.kind === 'read-timeout' && o.first <= e.last && e.first <= o.last);
}

/** 502s and 504s per minute, from the access log's statuses when there are any, else from nginx's error lines. */
export function perMinute(statuses: readonly { time: number; status: number }[]): { t: string; '502': number; '504': number }[] {
  const minutes = new Map<number, { '502': number; '504': number }>();
  for (const { time, status } of statuses) {
    if (status !== 502 && status !== 504) continue;
    const minute = Math.floor(time / 60_000) * 60_000;
    const slot = minutes.get(minute) ?? { '502': 0, '504': 0 };
    slot[status === 502 ? '502' : '504']++;
    minutes.set(minute, slot);
  }
  return [...minutes.entries()].sort((a, b) => a[0] - b[0]).map(([t, c]) => ({ t: iso(t).slice(0, 16), ...c }));
}

/** Whether a process start seen by ps came after an episode that holds it (one of its server's) had begun. */
function restartedAfterFailing(start: BackendEvent, episodes: readonly Episode[]): boolean {
  return episodes.some((e) => e.events.includes(start) && e.first <= start.time);
}

/** The report's `history`: the window, the episodes (newest last) and the per-minute counts. */
export function historyReport(
  window: { since: number; until: number },
  episodes: readonly Episode[],
  counts: readonly { time: number; status: number }[],
  events: readonly BackendEvent[],
  notes: string[],
): HistoryReport {
  const marked = new Set(['restart', 'oom-kill', 'max-children', 'exit', 'fatal', 'child-killed']);
  return {
    since: iso(window.since),
    until: iso(window.until),
    episodes: episodes.map((e) => ({ cause: e.cause, story: e.story, first: iso(e.first), last: iso(e.last), count: e.count, upstream: e.upstream, location: e.location, evidence: e.evidence })),
    per_minute: perMinute(counts.filter((c) => c.time >= window.since && c.time <= window.until)),
    notes,
    // An OOM kill is the machine's: it is marked only when an episode holds it. A start seen by ps is a
    // restart only when its server was already failing: else it is just when the backend first came up.
    markers: [...events.filter((e) => e.kind !== 'oom-kill' && (e.source !== 'ps' || restartedAfterFailing(e, episodes))), ...episodes.flatMap((e) => e.events.filter((x) => x.kind === 'oom-kill'))]
      .filter((e) => marked.has(e.kind) && e.time >= window.since && e.time <= window.until)
      .sort((a, b) => a.time - b.time)
      .map((e) => ({ t: iso(Math.floor(e.time / 60_000) * 60_000).slice(0, 16), kind: e.kind })),
  };
}
