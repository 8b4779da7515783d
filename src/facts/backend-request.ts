import { hostNginxSends, pathNginxSends } from '../nginx/proxy-host.js';
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
