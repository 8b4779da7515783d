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
    'backend-closes-first': ['keepalive.nginx', 'keepalive.nginxMs', 'keepalive.backendMs', 'keepalive.place', 'keepalive.timeoutSet', 'keepalive.suggested'],
  },

  plan(facts, done) {
    if (done.length) return [];
    const setup = setupOf(facts);
    const server = failedServer(facts);
    if (!setup || setup.blockedBy || !setup.cache || server?.kind !== 'tcp') return [];
    const wait = waitSeconds(setup.timeoutMs);
    return [{ argv: keepAliveProbeCommand(server.host, server.port, upstreamPath(facts), need(facts, 'request.hostHeader'), wait), timeoutMs: (wait + 8) * 1000 }];
  },

  interpret(facts, [run]) {
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
          'keepalive.place': place,
          'keepalive.timeoutSet': setup.timeoutPlace !== null,
          'keepalive.suggested': suggestKeepAliveTimeout(probe.idleMs),
        },
        summary: `the backend closes idle connections after ${seconds(probe.idleMs)}; nginx keeps reusing them for ${seconds(setup.timeoutMs)}`,
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
