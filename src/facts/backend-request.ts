import type { CommandSpec } from '../hosts/host.js';
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
