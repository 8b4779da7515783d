import type { KnownFacts, Listener } from './keys.js';
import { listenerAccepts } from '../system/ss.js';
import { bare, dialledAddresses } from './addresses.js';
import { need } from './need.js';

export type ServerAddress = { kind: 'tcp'; host: string; port: number; target: string } | { kind: 'unix'; socket: string; target: string };

/**
 * The address nginx used for the request that failed. In a group of several servers the error line's
 * upstream field names the one that failed ("http://127.0.0.1:8000/x", "fastcgi://unix:/run/php.sock:");
 * without it, the first server of the route.
 */
export function failedServer(facts: KnownFacts): ServerAddress | null {
  const field = facts['error.latest']?.upstream;
  if (field) {
    const rest = field.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    if (rest.startsWith('unix:')) {
      // nginx prints the URI after the path with a ':' ("unix:/run/app.sock:/x") or, on some errors,
      // without one ("unix:/run/app.sock/"): the socket the config names settles where the path ends.
      const configured = facts['upstream.socket'];
      const socket = configured && rest.slice(5).startsWith(configured) ? configured : (rest.slice(5).split(':')[0] as string);
      if (socket) return { kind: 'unix', socket, target: `unix:${socket}` };
    }
    const m = /^(\[[^\]]+\]|[^/:]+):(\d+)/.exec(rest);
    if (m) return { kind: 'tcp', host: bare(m[1] as string), port: Number(m[2]), target: `${m[1]}:${m[2]}` };
  }
  const target = need(facts, 'upstream.target');
  if (need(facts, 'upstream.kind') === 'unix' && facts['upstream.socket']) return { kind: 'unix', socket: facts['upstream.socket'], target };
  const host = facts['upstream.host'];
  const port = facts['upstream.port'];
  return host !== undefined && port !== undefined ? { kind: 'tcp', host: bare(host), port, target } : null;
}

/** The listeners that accept what nginx dials at this address (several processes may share one socket). */
export function listenersAt(server: ServerAddress, listeners: readonly Listener[]): Listener[] {
  if (server.kind === 'unix') return listeners.filter((l) => l.netid === 'unix' && l.path === server.socket);
  const dialled = dialledAddresses(server.host);
  return listeners.filter((l) => l.netid !== 'unix' && l.port === server.port && dialled.some((d) => listenerAccepts(l, d)));
}

/**
 * The path nginx asked the backend for. For proxy_pass the error line's upstream field holds the whole
 * URL nginx requested ("http://127.0.0.1:8000/api/x", "http://unix:/run/app.sock:/x"), after any URI
 * rewriting by proxy_pass; otherwise the path of the failing request.
 */
export function upstreamPath(facts: KnownFacts): string {
  const field = facts['error.latest']?.upstream ?? '';
  const m = /^https?:\/\/(?:unix:[^:]*:|[^/]+)(\/[^\s]*)$/i.exec(field);
  return m?.[1] ?? need(facts, 'request.path');
}
