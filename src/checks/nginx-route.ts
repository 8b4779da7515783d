import type { KnownFacts } from '../facts.js';
import { effectiveDirective, errorLogsFor, routeRequest, type Route, type UpstreamServer } from '../nginx/route.js';
import type { Check, CheckResult } from './check.js';
import { need } from './check.js';

export function upstreamFacts(server: UpstreamServer): KnownFacts {
  const facts: KnownFacts = { 'upstream.target': server.target, 'upstream.kind': server.kind, 'upstream.place': { file: server.file, line: server.line } };
  if (server.host !== undefined) facts['upstream.host'] = server.host;
  if (server.port !== undefined) facts['upstream.port'] = server.port;
  if (server.socket !== undefined) facts['upstream.socket'] = server.socket;
  return facts;
}

/** The route of the failing request, worked out again from the facts (pure and cheap). */
export function routeOf(facts: KnownFacts): Route | null {
  return routeRequest(need(facts, 'nginx.config'), {
    port: need(facts, 'request.port'),
    hostHeader: need(facts, 'request.hostHeader'),
    path: need(facts, 'request.path'),
    https: need(facts, 'request.url').startsWith('https:'),
  });
}

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** nginx time values: "60", "60s", "1m30s", "500ms". */
export function parseNginxTime(value: string): number | null {
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)?/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== value) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (TIME_UNITS[p[2] ?? 's'] as number), 0);
}

/** The read timeout in force for the route's module, and where it is set (null place: nginx's default). */
export function readTimeout(route: Route): { directive: string; ms: number; place: { file: string; line: number } | null } {
  const directive = `${route.pass?.module ?? 'proxy'}_read_timeout`;
  const set = effectiveDirective(route, directive);
  const ms = set ? parseNginxTime(set.args[0] ?? '') : null;
  return { directive, ms: ms ?? 60_000, place: set ? { file: set.file, line: set.line } : null };
}

/** Which server{} and location{} the failing request hits in nginx's config, and where it sends it. */
export const nginxRoute: Check = {
  id: 'nginx.route',
  outcomes: ['proxied', 'not-proxied', 'unresolved', 'no-server'],
  needs: ['nginx.config', 'nginx.prefix', 'nginx.defaultErrorLog', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  learns: [],
  learnsOn: {
    proxied: ['route.server', 'route.serverName', 'route.location', 'route.locationMatch', 'route.errorLog', 'upstream.module', 'upstream.scheme', 'upstream.target', 'upstream.kind', 'upstream.place'],
  },

  plan: () => [],

  interpret(facts): CheckResult {
    const config = need(facts, 'nginx.config');
    const url = need(facts, 'request.url');
    const route = routeOf(facts);
    if (!route) {
      return { outcome: 'no-server', facts: {}, summary: `no server{} in the config listens on port ${facts['request.port']}`, evidence: [{ lines: ['no listen directive matches this port'] }] };
    }
    const serverPlace = { file: route.server.file, line: route.server.line };
    const where = `server ${route.serverName} (${serverPlace.file}:${serverPlace.line}), ${route.locationMatch}${route.location ? ` (${route.location.file}:${route.location.line})` : ''}`;
    if (!route.pass) {
      return { outcome: 'not-proxied', facts: {}, summary: `${url} is not proxied: nginx serves it itself`, evidence: [{ lines: [where, 'no proxy_pass, fastcgi_pass or uwsgi_pass here'] }] };
    }
    const passLine = `${route.pass.directive.directive} ${route.pass.directive.args.join(' ')}; (${route.pass.directive.file}:${route.pass.directive.line})`;
    const first = route.pass.servers[0];
    if (!first || route.pass.unresolved) {
      return { outcome: 'unresolved', facts: {}, summary: `cannot tell where ${passLine} sends the request`, evidence: [{ lines: [where, passLine, route.pass.unresolved ?? 'no server address'] }] };
    }
    const logs = errorLogsFor(config, route, need(facts, 'nginx.prefix')).filter((l) => l.startsWith('/'));
    const errorLog = logs[0] ?? need(facts, 'nginx.defaultErrorLog');
    const learned: KnownFacts = {
      'route.server': serverPlace,
      'route.serverName': route.serverName,
      'route.location': route.location ? { file: route.location.file, line: route.location.line } : serverPlace,
      'route.locationMatch': route.locationMatch,
      'route.errorLog': errorLog,
      'upstream.module': route.pass.module,
      'upstream.scheme': route.pass.scheme,
      ...upstreamFacts(first),
    };
    if (route.pass.group) learned['upstream.group'] = route.pass.group;
    return {
      outcome: 'proxied',
      facts: learned,
      summary: `${route.locationMatch} sends it to ${first.target}${route.pass.group ? ` (upstream ${route.pass.group})` : ''}`,
      evidence: [
        {
          lines: [
            where,
            passLine,
            ...route.pass.servers.map((s) => `  server ${s.target}${s.params.length ? ` ${s.params.join(' ')}` : ''} (${s.file}:${s.line})`),
            `its errors go to ${errorLog}`,
          ],
        },
      ],
    };
  },
};
