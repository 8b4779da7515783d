import type { KnownFacts } from '../facts.js';
import { effectiveDirective, type Route } from '../nginx/route.js';
import { need } from './check.js';
import { parseNginxTime } from './nginx-route.js';

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

/** The connect timeout in force for the route's module (proxy_connect_timeout, ...), and where it is set. */
export function connectTimeout(route: Route): { directive: string; ms: number; place: { file: string; line: number } | null } {
  const directive = `${route.pass?.module ?? 'proxy'}_connect_timeout`;
  const set = effectiveDirective(route, directive);
  const ms = set ? parseNginxTime(set.args[0] ?? '') : null;
  return { directive, ms: ms ?? 60_000, place: set ? { file: set.file, line: set.line } : null };
}

export function describeTimeout(t: { directive: string; ms: number; place: { file: string; line: number } | null }): string {
  const value = t.ms % 1000 === 0 ? `${t.ms / 1000}s` : `${t.ms}ms`;
  return t.place ? `${t.directive} ${value} (${t.place.file}:${t.place.line})` : `${t.directive} not set: nginx's default ${value}`;
}
