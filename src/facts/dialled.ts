import type { KnownFacts } from './keys.js';
import { need } from './need.js';

export type Dialled = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; socket: string };

/** "http://10.0.0.2:80/x", "10.0.0.2:80", "[::1]:8080", "fastcgi://unix:/run/a.sock:" -> what was dialled; null for a group name. */
export function parseDialled(value: string): Dialled | null {
  const rest = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (rest.startsWith('unix:')) {
    const socket = rest.slice(5).split(':')[0] ?? '';
    return socket ? { kind: 'unix', socket } : null;
  }
  const authority = rest.split('/')[0] ?? '';
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(authority) ?? /^([^:[\]]+):(\d+)$/.exec(authority);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { kind: 'tcp', host: m[1]!, port } : null;
}

/**
 * The address nginx failed to reach: the error line's upstream field names the very server of a group
 * nginx tried; without it, the first server the route names.
 */
export function dialledAddress(facts: KnownFacts): Dialled | null {
  const fromError = facts['error.latest']?.upstream;
  return (fromError !== undefined ? parseDialled(fromError) : null) ?? parseDialled(need(facts, 'upstream.target'));
}

export function showDialled(d: Dialled): string {
  return d.kind === 'unix' ? `unix:${d.socket}` : `${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.port}`;
}
