import { isIP } from 'node:net';
import type { NginxConfig } from '../nginx/config-types.js';
import { passTarget } from '../nginx/pass-target.js';
import { routeRequest, type RequestTarget, type Route, type UpstreamServer } from '../nginx/route.js';
import type { KnownFacts } from './keys.js';
import { need } from './need.js';

/** The upstream facts of one server a route sends the request to. */
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
