import type { CommandSpec } from '../hosts/host.js';
import type { FcgiTarget } from '../system/fcgi-probe.js';
import { uwsgiHeadProbeCommand, uwsgiRequestVars } from '../system/uwsgi-probe.js';
import { paramsToSend } from '../nginx/pass-params.js';
import { effectiveDirective, type Route } from '../nginx/route.js';
import { hostNginxSends, pathNginxSends } from '../nginx/proxy-host.js';
import { rawProbeCommand } from '../system/raw-probe.js';
import { failedServer, upstreamPath } from './failed-server.js';
import { bare } from './addresses.js';
import type { KnownFacts } from './keys.js';
import { need } from './need.js';
import { routeOf } from './route.js';

/** The failing request addressed to the backend itself, bypassing nginx. */
export function backendUrl(facts: KnownFacts): { url: string; socket?: string } {
  const route = routeOf(facts);
  const path = route ? pathNginxSends(route, need(facts, 'request.path')) : need(facts, 'request.path');
  if (need(facts, 'upstream.kind') === 'unix') return { url: `http://localhost${path}`, socket: need(facts, 'upstream.socket') };
  const host = bare(need(facts, 'upstream.host'));
  return { url: `${need(facts, 'upstream.scheme')}://${host.includes(':') ? `[${host}]` : host}:${need(facts, 'upstream.port')}${path}` };
}

/** Where nginx dialled a FastCGI or uwsgi backend: the server its error line names (in a group), else the route's. */
export function passTarget(facts: KnownFacts): FcgiTarget {
  const failed = facts['upstream.target'] ? failedServer(facts) : null;
  if (failed) return failed.kind === 'unix' ? { kind: 'unix', socket: failed.socket } : { kind: 'tcp', host: failed.host, port: failed.port };
  if (need(facts, 'upstream.kind') === 'unix') return { kind: 'unix', socket: need(facts, 'upstream.socket') };
  return { kind: 'tcp', host: need(facts, 'upstream.host'), port: need(facts, 'upstream.port') };
}

/** The Host header nginx itself sends the backend for this request (proxy_set_header Host, else $proxy_host). */
export function backendHost(facts: KnownFacts): string {
  const route = routeOf(facts);
  const client = need(facts, 'request.hostHeader');
  return route ? hostNginxSends(route, client) : client;
}

/**
 * The failing request sent straight to the backend over TCP, its answer read byte for byte (bash
 * /dev/tcp): HTTP/1.0 and "Connection: close", as nginx asks by default, so the backend closes when done.
 * Null when nginx does not speak plain HTTP to a TCP backend here.
 */
export function responseHeadProbe(facts: KnownFacts): CommandSpec | null {
  const server = failedServer(facts);
  if (need(facts, 'upstream.module') !== 'proxy' || need(facts, 'upstream.scheme') !== 'http' || server?.kind !== 'tcp') return null;
  const request = `GET ${upstreamPath(facts)} HTTP/1.0\r\nHost: ${need(facts, 'request.hostHeader')}\r\nConnection: close\r\nUser-Agent: badgateway\r\n\r\n`;
  return { argv: rawProbeCommand(server.host, server.port, request, { readSeconds: 3, block: 16384, reads: 4 }), timeoutMs: 12_000 };
}

/**
 * The params nginx sends the backend for the failing request: its fastcgi_param (or uwsgi_param) lines, then the request's
 * headers. A name no environment can hold (empty, or with "=") is left out: no CGI program could read it.
 */
export function passedParams(route: Route, facts: KnownFacts, module = 'fastcgi'): [string, string][] {
  const headers = { host: need(facts, 'request.hostHeader'), ...facts['request.headers'] };
  const passHeaders = effectiveDirective(route, `${module}_pass_request_headers`)?.args[0] !== 'off';
  return paramsToSend(route.params ?? [], headers, passHeaders).filter(([name, value]) => name !== '' && !name.includes('=') && !`${name}${value}`.includes('\0'));
}

/** The request uwsgi_pass sends, in its own protocol: the location's uwsgi_param lines and the request's headers (else the CGI basics). */
export function uwsgiVarsSent(facts: KnownFacts): [string, string][] {
  const route = routeOf(facts);
  return route?.params?.length ? passedParams(route, facts, 'uwsgi') : uwsgiRequestVars(upstreamPath(facts), backendHost(facts));
}

export function uwsgiHeadProbe(facts: KnownFacts, seconds: number): CommandSpec {
  return { argv: uwsgiHeadProbeCommand(passTarget(facts), uwsgiVarsSent(facts), seconds), timeoutMs: (seconds + 5) * 1000 };
}
