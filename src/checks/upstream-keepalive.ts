import type { KnownFacts } from '../facts/keys.js';
import { keepAliveSetup, suggestKeepAliveTimeout } from '../nginx/keepalive.js';
import { keepAliveProbeCommand, parseKeepAliveProbe } from '../system/keepalive-probe.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { failedServer, upstreamPath } from '../facts/failed-server.js';
import { routeOf } from '../facts/route.js';

/** We wait this long at most for the backend to close an idle connection; a wizard cannot wait a minute. */
export const MAX_WAIT_SECONDS = 15;

function waitSeconds(nginxTimeoutMs: number): number {
  return Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.ceil(nginxTimeoutMs / 1000) + 1));
}

function setupOf(facts: KnownFacts) {
  const route = routeOf(facts);
  return route ? keepAliveSetup(need(facts, 'nginx.config'), route) : null;
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`);

/**
 * Idle times at which a connection is used again, besides the long wait: a backend that never closes an
 * idle connection by itself may still drop one when it is used after its own idle timeout (it notices the
 * stale connection only then), and these bracket that timeout.
 */
const REUSE_AFTER_SECONDS = [1, 2, 4, 8];

/** The idle times to try again at: shorter than the long wait and than nginx's own keepalive_timeout. */
function reuseWaits(wait: number, nginxMs: number): number[] {
  return REUSE_AFTER_SECONDS.filter((r) => r < wait && r * 1000 < nginxMs);
}

type Probe = ReturnType<typeof parseKeepAliveProbe>;

/**
 * A connection dropped unanswered when used again after an idle time shorter than nginx's: the shortest
 * such time, and the longest idle time a reuse was still answered (below it), or null when none was dropped.
 */
function lazyClose(probes: readonly Probe[], nginxMs: number): { droppedMs: number; answeredMs: number | null } | null {
  const dropped = probes.filter((p) => p.reused === 'closed' && p.reuseIdleMs !== null && p.reuseIdleMs < nginxMs).map((p) => p.reuseIdleMs as number);
  if (!dropped.length) return null;
  const droppedMs = Math.min(...dropped);
  const answered = probes.filter((p) => p.reused === 'answered' && p.reuseIdleMs !== null && p.reuseIdleMs < droppedMs).map((p) => p.reuseIdleMs as number);
  return { droppedMs, answeredMs: answered.length ? Math.max(...answered) : null };
}

/**
 * Does the backend close idle keep-alive connections sooner than nginx stops reusing them? Then a
 * request nginx sends on a connection the backend is closing at that moment fails: reset or closed.
 */
export const upstreamKeepalive = defineCheck({
  id: 'upstream.keepalive',
  guide: 'timeouts',
  outcomes: ['backend-closes-first', 'no-keepalive', 'backend-outlasts', 'not-measurable'],
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'upstream.module', 'upstream.target', 'upstream.kind', 'error.latest'],
  learns: [],
  learnsOn: {
    'backend-closes-first': ['keepalive.nginx', 'keepalive.nginxMs', 'keepalive.backendMs', 'keepalive.behaviour', 'keepalive.place', 'keepalive.timeoutSet', 'keepalive.suggested'],
  },

  plan(facts, done) {
    if (done.length) return [];
    const setup = setupOf(facts);
    const server = failedServer(facts);
    if (!setup || setup.blockedBy || !setup.cache || server?.kind !== 'tcp') return [];
    const wait = waitSeconds(setup.timeoutMs);
    // All at once, one connection each: the long wait (an active close) and the reuses (a lazy one).
    return [wait, ...reuseWaits(wait, setup.timeoutMs)].map((seconds) => ({
      argv: keepAliveProbeCommand(server.host, server.port, upstreamPath(facts), need(facts, 'request.hostHeader'), seconds, true),
      timeoutMs: (seconds + 12) * 1000,
    }));
  },

  interpret(facts, results) {
    const [run] = results;
    const setup = setupOf(facts);
    if (!setup) return { outcome: 'no-keepalive', facts: {}, summary: 'the request no longer routes to a backend', evidence: [] };
    const config: string[] = [];
    if (setup.cache) config.push(`keepalive ${setup.cache.size} in upstream ${setup.group} (${setup.cache.place.file}:${setup.cache.place.line})`, setup.timeoutText);
    if (setup.blockedBy || !setup.cache) {
      return { outcome: 'no-keepalive', facts: {}, summary: `nginx does not reuse connections to this backend: ${setup.blockedBy}`, evidence: [{ lines: [...config, setup.blockedBy ?? ''] }] };
    }
    const server = failedServer(facts);
    if (!run || server?.kind !== 'tcp') {
      return { outcome: 'not-measurable', facts: {}, summary: 'nginx reuses idle connections, but the backend is no TCP address we can time', evidence: [{ lines: config }] };
    }
    const probe = parseKeepAliveProbe(run);
    const wait = waitSeconds(setup.timeoutMs);
    const lines = [
      probe.status
        ? `the backend answered "${probe.status}"${probe.connection ? `, Connection: ${probe.connection}` : ''}${probe.keepAliveHeader ? `, Keep-Alive: ${probe.keepAliveHeader}` : ''}`
        : 'no HTTP answer on the connection',
      probe.closed ? `then closed the idle connection after ${probe.idleMs} ms` : `the idle connection was still open after ${probe.idleMs ?? wait * 1000} ms`,
    ];
    const evidence: Evidence[] = [{ lines: config }, { probe: `one connection to ${server.target}: GET ${upstreamPath(facts)}, then wait up to ${wait}s for the backend to close it`, lines }];
    if (!probe.status || probe.idleMs === null) {
      return {
        outcome: 'not-measurable',
        facts: {},
        summary: `cannot time the backend's idle connections: ${probe.sendFailed ? 'it closed before our request was sent' : 'no HTTP answer'}`,
        evidence,
      };
    }
    if (!probe.keepsAlive || (probe.closed && probe.idleMs < 100)) {
      return { outcome: 'no-keepalive', facts: {}, summary: 'the backend closes the connection after every response, so nginx never reuses one', evidence };
    }
    if (probe.closed && probe.idleMs < setup.timeoutMs) {
      const place = setup.timeoutPlace ?? setup.cache.place;
      return {
        outcome: 'backend-closes-first',
        facts: {
          'keepalive.nginx': setup.timeoutText,
          'keepalive.nginxMs': setup.timeoutMs,
          'keepalive.backendMs': probe.idleMs,
          'keepalive.behaviour': `closes an idle connection after about ${probe.idleMs} ms`,
          'keepalive.place': place,
          'keepalive.timeoutSet': setup.timeoutPlace !== null,
          'keepalive.suggested': suggestKeepAliveTimeout(probe.idleMs),
        },
        summary: `the backend closes idle connections after ${seconds(probe.idleMs)}; nginx keeps reusing them for ${seconds(setup.timeoutMs)}`,
        evidence,
      };
    }
    const reuses = results.map((r) => parseKeepAliveProbe(r));
    const lazy = probe.closed ? null : lazyClose(reuses, setup.timeoutMs);
    evidence.push({
      probe: `the same, on more connections: used again after ${reuseWaits(wait, setup.timeoutMs).join(', ') || '-'} s idle, and after ${wait}s`,
      lines: reuses
        .filter((p) => p.reused)
        .map((p) => `used again after ${p.reuseIdleMs} ms idle: ${p.reused === 'answered' ? 'answered' : p.reused === 'closed' ? 'closed without a word' : 'no answer in 3 s'}`),
    });
    if (lazy) {
      const place = setup.timeoutPlace ?? setup.cache.place;
      const behaviour = `never closes an idle connection by itself, but drops one unanswered when it is used again after ${lazy.droppedMs} ms idle${lazy.answeredMs !== null ? ` (after ${lazy.answeredMs} ms it still answered)` : ''}`;
      return {
        outcome: 'backend-closes-first',
        facts: {
          'keepalive.nginx': setup.timeoutText,
          'keepalive.nginxMs': setup.timeoutMs,
          'keepalive.backendMs': lazy.droppedMs,
          'keepalive.behaviour': behaviour,
          'keepalive.place': place,
          'keepalive.timeoutSet': setup.timeoutPlace !== null,
          'keepalive.suggested': lazy.answeredMs !== null && lazy.answeredMs >= 1000 ? `${Math.floor(lazy.answeredMs / 1000)}s` : suggestKeepAliveTimeout(lazy.droppedMs),
        },
        summary: `the backend ${behaviour}; nginx keeps reusing idle connections for ${seconds(setup.timeoutMs)}`,
        evidence,
      };
    }
    if (probe.idleMs >= setup.timeoutMs) {
      return { outcome: 'backend-outlasts', facts: {}, summary: `the backend keeps idle connections at least ${seconds(probe.idleMs)}, longer than nginx's ${seconds(setup.timeoutMs)}`, evidence };
    }
    return {
      outcome: 'not-measurable',
      facts: {},
      summary: `the backend kept the idle connection open for the ${wait}s we waited; nginx keeps it ${seconds(setup.timeoutMs)}, so a shorter backend timeout in between is still possible`,
      evidence,
    };
  },
});
