import type { KnownFacts } from '../facts.js';
import { isIP } from 'node:net';
import type { CommandResult } from '../hosts/host.js';
import { effectiveDirective, errorLogsFor, routeRequest, type PathKinds, type RequestTarget, type Route, type UpstreamServer } from '../nginx/route.js';
import type { NginxConfig } from '../nginx/config-types.js';
import { passTarget } from '../nginx/pass-target.js';
import { MAX_PATH_ROUNDS } from '../nginx/route-resolve.js';
import { commandLine } from '../shell/quote.js';
import { parsePathKinds, pathKindsCommand } from '../system/path-kinds.js';
import type { Check, CheckResult } from './check.js';
import { need } from './check.js';

export function upstreamFacts(server: UpstreamServer): KnownFacts {
  const facts: KnownFacts = { 'upstream.target': server.target, 'upstream.kind': server.kind, 'upstream.place': { file: server.file, line: server.line } };
  if (server.host !== undefined) facts['upstream.host'] = server.host;
  if (server.port !== undefined) facts['upstream.port'] = server.port;
  if (server.socket !== undefined) facts['upstream.socket'] = server.socket;
  return facts;
}

/** The address a request arrives on: the URL's own IP, else the address nginx is reached at. */
function arrivalAddress(url: string, connectTo: string | undefined): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return host;
  return connectTo ? connectTo.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') : undefined;
}

/** The request as routing sees it, from the request facts. */
export function requestTarget(facts: KnownFacts): RequestTarget {
  const url = need(facts, 'request.url');
  const address = arrivalAddress(url, facts['request.connectTo']);
  return {
    port: need(facts, 'request.port'),
    ...(address ? { address } : {}),
    hostHeader: facts['request.headers']?.host ?? need(facts, 'request.hostHeader'),
    path: need(facts, 'request.path'),
    https: url.startsWith('https:'),
    method: facts['request.method'] ?? 'GET',
    ...(facts['request.headers'] ? { headers: facts['request.headers'] } : {}),
  };
}

/**
 * A *_pass whose variables the request alone does not decide (a header we were not given, the client's
 * address): nginx's own error line for this request says where it went (`upstream: "http://10.0.0.7:8080/x"`).
 */
function passFromErrorLine(config: NginxConfig, route: Route, upstream: string): Route {
  const pass = route.pass!;
  const dialled = upstream.replace(/^([a-z]+:\/\/unix:[^:]*):.*$/s, '$1');
  const known = passTarget(config, pass.directive, dialled);
  if (known.servers.length === 0) return route;
  const step = { kind: 'note' as const, text: `nginx's error line for this request names the upstream it dialled: ${upstream}` };
  return { ...route, pass: { ...known, evaluated: pass.evaluated }, steps: [...route.steps, step] };
}

/** The route of the failing request, worked out again from the facts (pure and cheap: the paths were asked by nginx.route). */
export function routeOf(facts: KnownFacts): Route | null {
  const config = need(facts, 'nginx.config');
  const route = routeRequest(config, requestTarget(facts), facts['route.pathKinds'] ?? {}, facts['nginx.prefix'] ?? undefined);
  const upstream = facts['request.upstream'];
  return route?.pass?.unresolved && upstream ? passFromErrorLine(config, route, upstream) : route;
}

/** A try_files can name thousands of paths; nginx stops at the first that exists, so the first ones matter. */
const MAX_PATHS_PER_ROUND = 256;

/** What the box said of the paths asked so far in this step. */
function kindsFrom(results: readonly CommandResult[]): PathKinds {
  return Object.assign({}, ...results.map((r) => parsePathKinds(r.argv.slice(4), r.code === 0 ? r.stdout : '')));
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

const at = (file: string | undefined, line: number | undefined) => (file ? ` (${file}:${line})` : '');

/** The trail a person reads: each thing nginx does with the request, where the config says so. */
export function routeTrail(route: Route): string[] {
  return [
    ...route.steps.map((step) => `${step.text}${at(step.file, step.line)}`),
    ...route.undecided.map((note) => `cannot be decided from the request: ${note}`),
  ];
}

/** Which server{} and location{} the failing request hits in nginx's config, following every rewrite and internal redirect, and where it sends it. */
export const nginxRoute: Check = {
  id: 'nginx.route',
  outcomes: ['proxied', 'not-proxied', 'unresolved', 'no-server'],
  needs: ['nginx.config', 'nginx.prefix', 'nginx.defaultErrorLog', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  learns: ['route.pathKinds'],
  learnsOn: {
    proxied: ['route.server', 'route.serverName', 'route.location', 'route.locationMatch', 'route.errorLog', 'upstream.module', 'upstream.scheme', 'upstream.target', 'upstream.kind', 'upstream.place'],
  },

  /** try_files, index and `if (-f ...)` test paths on the box: ask for the ones the route needs, a round per internal redirect at most. */
  plan(facts, done) {
    if (done.length >= MAX_PATH_ROUNDS) return [];
    const kinds = kindsFrom(done);
    const route = routeRequest(need(facts, 'nginx.config'), requestTarget(facts), kinds, need(facts, 'nginx.prefix'));
    const unknown = (route?.unknownPaths ?? []).slice(0, MAX_PATHS_PER_ROUND);
    return unknown.length ? [pathKindsCommand(unknown)] : [];
  },

  interpret(facts, results): CheckResult {
    const config = need(facts, 'nginx.config');
    const url = need(facts, 'request.url');
    const pathKinds = kindsFrom(results);
    const route = routeOf({ ...facts, 'route.pathKinds': pathKinds });
    if (!route) {
      return { outcome: 'no-server', facts: { 'route.pathKinds': pathKinds }, summary: `no server{} in the config listens on port ${facts['request.port']}`, evidence: [{ lines: ['no listen directive matches this port'] }] };
    }
    const trail = routeTrail(route);
    const asked = results.map((r) => ({
      command: commandLine(r.argv),
      lines: Object.entries(parsePathKinds(r.argv.slice(4), r.code === 0 ? r.stdout : '')).map(([p, k]) => `${p}: ${k === 'none' ? 'absent' : k === 'dir' ? 'a directory' : 'exists'}`),
      note: 'what try_files and index look for, tested as nginx tests them',
    }));
    const evidence = (lines: string[]) => [{ lines: [...trail, ...lines] }, ...asked];
    if (route.outcome === 'undecided' || route.pass?.unresolved) {
      const why = route.pass?.unresolved ? `${route.pass.directive.directive} ${route.pass.unresolved}` : route.unknownPaths.length ? `the box did not say what is at ${route.unknownPaths.join(', ')}` : route.undecided[0] ?? 'the request alone does not decide it';
      return { outcome: 'unresolved', facts: { 'route.pathKinds': pathKinds }, summary: `cannot tell where nginx sends ${url}: ${why}`, evidence: evidence([]) };
    }
    if (!route.pass) {
      const answer = route.outcome === 'redirect' ? `redirects it (${route.status} to ${route.redirectTo})` : route.outcome === 'served' ? `serves it itself (${route.status}${route.file ? `, ${route.file}` : ''})` : `answers ${route.status} itself`;
      const last = route.steps.at(-1);
      return { outcome: 'not-proxied', facts: { 'route.pathKinds': pathKinds }, summary: `${url} is not sent to a backend: nginx ${answer}${at(last?.file, last?.line)}`, evidence: evidence([]) };
    }
    const first = route.pass.servers[0];
    if (!first) {
      return { outcome: 'unresolved', facts: { 'route.pathKinds': pathKinds }, summary: `cannot tell where ${route.pass.directive.directive} ${route.pass.evaluated} sends the request`, evidence: evidence(['no server address']) };
    }
    const logs = errorLogsFor(config, route, need(facts, 'nginx.prefix')).filter((l) => l.startsWith('/'));
    const errorLog = logs[0] ?? need(facts, 'nginx.defaultErrorLog');
    const serverPlace = { file: route.server.file, line: route.server.line };
    const learned: KnownFacts = {
      'route.pathKinds': pathKinds,
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
      evidence: evidence([
        ...route.pass.servers.map((s) => `  server ${s.target}${s.params.length ? ` ${s.params.join(' ')}` : ''} (${s.file}:${s.line})`),
        `its errors go to ${errorLog}`,
      ]),
    };
  },
};
