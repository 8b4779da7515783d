import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, UpstreamError } from '../facts/keys.js';
import type { CommandSpec } from '../hosts/host.js';
import { classifyMessage, newestFor, parseErrorLog } from '../nginx/error-log.js';
import { logParts, replayAndReadCommand } from '../nginx/replay-and-read.js';
import { parseHttpProbe } from '../system/http-probe.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { readTimeout } from '../facts/timeouts.js';
import { routeOf } from '../facts/route.js';
import { LOG_TAIL_BYTES } from '../system/tail.js';
import { throughNginx } from '../facts/through-nginx.js';

/** The outcome for each kind of upstream error the classifier knows; kinds that share a next step share an outcome. */
export const OUTCOME_OF_KIND = {
  refused: 'refused',
  'no-such-file': 'no-such-file',
  'permission-denied': 'permission-denied',
  'read-timeout': 'read-timeout',
  'connect-timeout': 'connect-timeout',
  'backlog-full': 'backlog-full',
  'no-route': 'no-route',
  'network-unreachable': 'no-route',
  reset: 'closed',
  'premature-close': 'closed',
  'invalid-header': 'invalid-header',
  'invalid-response': 'invalid-header',
  'too-big-header': 'too-big-header',
  'fastcgi-protocol': 'wrong-protocol',
  'http2-framing': 'wrong-protocol',
  'no-valid-http-header': 'wrong-protocol',
  'no-live-upstreams': 'no-live-upstreams',
  'tls-handshake': 'tls',
  'tls-verify': 'tls',
  dns: 'dns',
  'worker-connections': 'worker-limits',
  'too-many-open-files': 'worker-limits',
} as const;
type Branched = (typeof OUTCOME_OF_KIND)[keyof typeof OUTCOME_OF_KIND];
const BRANCHED: Branched[] = [...new Set(Object.values(OUTCOME_OF_KIND))];
const REPLAYABLE = new Set(['GET', 'HEAD']);
const FAILED_STATUS = new Set([502, 504]);

function reproduceSeconds(facts: KnownFacts): number {
  const route = routeOf(facts);
  const timeout = route ? readTimeout(route).ms : 60_000;
  return Math.min(Math.ceil(timeout / 1000) + 5, 120);
}

/** The replay of the failing request through nginx; none for a request that must not be sent twice (POST). */
function replayOf(facts: KnownFacts): CommandSpec | undefined {
  return REPLAYABLE.has(need(facts, 'request.method')) ? throughNginx(facts, reproduceSeconds(facts)) : undefined;
}

/**
 * Out of connections or files, nginx drops a new client before reading its request, and its line names no
 * request; written during our replay, such a line is the answer to it.
 */
function refusedAtAccept(fresh: readonly UpstreamError[]): UpstreamError | null {
  return [...fresh].reverse().find((e) => e.request === undefined && (e.kind === 'worker-connections' || e.kind === 'too-many-open-files')) ?? null;
}

/**
 * Reads what nginx wrote about the failing request: the lines our own replay of the request adds to
 * the log are the surest; otherwise the newest earlier line for the same request.
 */
export const errorLog = defineCheck({
  id: 'nginx.error-log',
  guide: 'error-log',
  outcomes: [...BRANCHED, 'other', 'silent-failure', 'healthy', 'unreadable'],
  needs: ['route.errorLog', 'request.url', 'request.method', 'request.path', 'request.hostHeader', 'request.port', 'request.connectTo', 'nginx.config', 'upstream.target'],
  learns: [],
  learnsOn: Object.fromEntries([...BRANCHED, 'other'].map((o) => [o, ['error.latest', 'error.kind', 'error.detail'] as const])) as Partial<
    Record<Branched | 'other', readonly ['error.latest', 'error.kind', 'error.detail']>
  >,

  plan(facts, done) {
    if (done.length) return [];
    return [replayAndReadCommand(need(facts, 'route.errorLog'), LOG_TAIL_BYTES, replayOf(facts))];
  },

  interpret(facts, [run]) {
    const log = need(facts, 'route.errorLog');
    const parts = run ? logParts(run, log, LOG_TAIL_BYTES, replayOf(facts)) : null;
    if (!parts) {
      const why = run?.stderr.trim() || run?.failure || 'the error-log script did not run';
      return { outcome: 'unreadable', facts: {}, summary: `cannot read ${log}: probing the upstream instead`, evidence: [{ probe: `the error-log script on ${log}`, lines: [why] }] };
    }
    const { size: sizeRun, tail: tailRun, replay: replayRun, appended: newRun } = parts;
    const filter = { host: need(facts, 'request.hostHeader'), path: need(facts, 'request.path'), port: need(facts, 'request.port') };
    const evidence: Evidence[] = [];
    const replay = replayRun ? parseHttpProbe(replayRun) : null;
    if (replayRun && replay) {
      evidence.push({
        command: shownCommand(replayRun.argv),
        lines: [replay.status !== null ? `nginx answered ${replay.status} after ${replay.totalMs} ms` : `no answer from nginx: ${replay.message ?? replay.error}`],
      });
    }
    const fresh = newRun?.code === 0 ? parseErrorLog(newRun.stdout) : [];
    const older = tailRun?.code === 0 ? parseErrorLog(tailRun.stdout) : [];
    const direct = newestFor(fresh, filter);
    const atAccept = direct ? null : refusedAtAccept(fresh);
    const mine = direct ?? atAccept;
    const earlier = newestFor(older, filter);
    const found: UpstreamError | null = mine ?? earlier;
    const readable = sizeRun?.code === 0 && tailRun?.code === 0;

    if (found) {
      const kind = (OUTCOME_OF_KIND as Readonly<Record<string, Branched>>)[found.kind] ?? 'other';
      evidence.push({
        command: shownCommand(mine && newRun ? newRun.argv : tailRun.argv),
        lines: [found.line],
        note: atAccept
          ? 'written by nginx during our replay: it dropped the connection before reading any request, so the line names none'
          : mine
            ? 'written by nginx just now, for our replay of the request'
            : 'the newest earlier line for this request',
      });
      return {
        outcome: kind,
        // probe.* are extras (not in learnsOn: a POST is not replayed): how long nginx took over our replay.
        facts: {
          'error.latest': found,
          'error.kind': found.kind,
          'error.detail': classifyMessage(found.message).detail ?? '',
          ...(replay?.totalMs != null ? { 'probe.ms': replay.totalMs } : {}),
          ...(replay?.status != null ? { 'probe.status': replay.status } : {}),
        },
        summary: `nginx says: ${found.message}`,
        evidence,
      };
    }
    if (!readable) {
      const why = [sizeRun, tailRun].find((r) => r && r.code !== 0);
      evidence.push({ command: shownCommand((why ?? tailRun).argv), lines: [why?.stderr.trim() || why?.failure || 'cannot read the error log'] });
      return { outcome: 'unreadable', facts: {}, summary: `cannot read ${log}: probing the upstream instead`, evidence };
    }
    if (replay?.status !== null && replay?.status !== undefined && !FAILED_STATUS.has(replay.status)) {
      evidence.push({ command: shownCommand(tailRun.argv), lines: ['no upstream error for this request'] });
      return { outcome: 'healthy', facts: {}, summary: `nginx answers ${replay.status} now and logs no upstream error`, evidence };
    }
    evidence.push({ command: shownCommand(tailRun.argv), lines: ['no upstream error for this request in the log'] });
    return { outcome: 'silent-failure', facts: {}, summary: 'the request fails but nginx logs no upstream error for it', evidence };
  },
});
