import type { KnownFacts } from '../facts/keys.js';
import { keepAliveSetup, suggestKeepAliveTimeout } from '../nginx/keepalive.js';
import { keepAliveProbeCommand, parseKeepAliveProbe } from '../system/keepalive-probe.js';
import { type CheckResult, defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { failedServer, upstreamPath } from '../facts/failed-server.js';
import { routeOf } from '../facts/route.js';
import { onBackend } from '../facts/backend-view.js';
import { fpmPlan, fpmPools, poolFor } from '../facts/php-fpm-pools.js';
import { effectiveDirective } from '../nginx/route.js';
import type { FpmPool } from '../facts/keys.js';

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

/** pm.max_requests of a php-fpm pool: 0 (php-fpm's default) when unset, null when it does not read as a count. */
function maxRequests(pool: FpmPool): number | null {
  const value = (pool.values['pm.max_requests'] ?? '0').trim();
  return /^\d+$/.test(value) ? Number(value) : null;
}

/**
 * A FastCGI connection kept by fastcgi_keep_conn is never closed by php-fpm for idleness: the child that took it
 * reads the next request on it for as long as nginx keeps it. It is closed only when that child ends, and a
 * child with pm.max_requests ends right after its last answer, while nginx may already be sending the next
 * request on the connection. No HTTP probe can time this: the pool's own settings say it.
 */
function interpretFastcgi(facts: KnownFacts, results: Parameters<typeof fpmPools>[0], config: string[]): CheckResult<'worker-recycles' | 'backend-outlasts' | 'not-measurable'> {
  const { pools, evidence: poolEvidence } = fpmPools(results);
  // Where nginx dials names the pool; without it no pool can be told apart.
  const pool = facts['upstream.socket'] || facts['upstream.port'] ? poolFor(pools, facts) : null;
  const route = routeOf(facts);
  const keepConn = route ? effectiveDirective(route, 'fastcgi_keep_conn') : null;
  const keepLine = keepConn ? `fastcgi_keep_conn on (${keepConn.file}:${keepConn.line})` : 'fastcgi_keep_conn on';
  const evidence: Evidence[] = [{ lines: [...config, keepLine] }, ...poolEvidence];
  if (!pool) {
    return { outcome: 'not-measurable', facts: {}, summary: 'nginx keeps FastCGI connections, but no php-fpm pool on the box listens where it dials', evidence };
  }
  const max = maxRequests(pool);
  const place = pool.places['pm.max_requests'];
  const setting = place ? `pm.max_requests = ${max} (${place.file}:${place.line})` : `pm.max_requests not set in pool ${pool.name}: php-fpm's default 0`;
  evidence.push({ lines: [`pool ${pool.name}: ${setting}`] });
  if (!max || !keepConn) {
    return {
      outcome: 'backend-outlasts',
      facts: {},
      summary: `php-fpm's pool ${pool.name} keeps a kept connection until nginx closes it (no pm.max_requests ends its children)`,
      evidence,
    };
  }
  const behaviour = `ends a child of pool ${pool.name} after ${max} request${max === 1 ? '' : 's'} (pm.max_requests), which closes the connection nginx keeps for reuse right after its last answer`;
  return {
    outcome: 'worker-recycles',
    facts: { 'keepalive.behaviour': behaviour, 'keepalive.keepConn': { file: keepConn.file, line: keepConn.line } },
    summary: `php-fpm ${behaviour}; nginx may already be sending the next request on it`,
    evidence,
  };
}

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
  outcomes: ['backend-closes-first', 'worker-recycles', 'no-keepalive', 'backend-outlasts', 'not-measurable'],
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'upstream.module', 'upstream.target', 'upstream.kind', 'error.latest'],
  learns: [],
  learnsOn: {
    'backend-closes-first': ['keepalive.nginx', 'keepalive.nginxMs', 'keepalive.backendMs', 'keepalive.behaviour', 'keepalive.place', 'keepalive.timeoutSet', 'keepalive.suggested'],
    'worker-recycles': ['keepalive.behaviour', 'keepalive.keepConn'],
  },

  plan(facts, done) {
    const setup = setupOf(facts);
    // A FastCGI backend is timed by its pool's settings, in rounds (php-fpm's masters, then its config).
    if (setup && !setup.blockedBy && setup.cache && routeOf(facts)?.pass?.module === 'fastcgi') return fpmPlan(done).map(onBackend);
    if (done.length) return [];
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
    if (routeOf(facts)?.pass?.module === 'fastcgi') return interpretFastcgi(facts, results, config);
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
