import { effectiveDirective, type Route } from '../nginx/route.js';
import { parseNginxTime } from '../nginx/time.js';

/** The read timeout in force for the route's module, and where it is set (null place: nginx's default). */
export function readTimeout(route: Route): { directive: string; ms: number; place: { file: string; line: number } | null } {
  const directive = `${route.pass?.module ?? 'proxy'}_read_timeout`;
  const set = effectiveDirective(route, directive);
  const ms = set ? parseNginxTime(set.args[0] ?? '') : null;
  return { directive, ms: ms ?? 60_000, place: set ? { file: set.file, line: set.line } : null };
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

/** A timeout that fits the measured time with room to spare, in whole seconds. */
export function suggestTimeout(measuredMs: number | null, currentMs: number, waitedMs: number): string {
  const basis = measuredMs ?? waitedMs;
  return `${Math.max(Math.ceil((basis * 2) / 1000), Math.ceil(currentMs / 1000) + 1)}s`;
}
