/**
 * Whether nginx keeps idle connections to this route's backend open for reuse, and for how long.
 * nginx reuses upstream connections only when all of these hold:
 * - the location passes to an upstream{} group that has `keepalive N` (the size of the idle cache);
 * - for proxy_pass, it speaks HTTP/1.1 to the backend (`proxy_http_version 1.1`) and does not send
 *   "Connection: close", which it does by default (`proxy_set_header Connection ""` clears it);
 *   for fastcgi_pass, `fastcgi_keep_conn on`. uwsgi and scgi never keep connections.
 * An idle connection stays in the cache for the group's `keepalive_timeout` (default 60s, since 1.15.3).
 */
import type { Directive, NginxConfig } from './config-types.js';
import type { Route } from './route.js';
import { effectiveDirective } from './route.js';

export interface KeepAliveSetup {
  group: string | null;
  /** `keepalive N;` in the group, and where. */
  cache: { size: number; place: { file: string; line: number } } | null;
  /** The group's keepalive_timeout in ms, and where it is written (null: nginx's default 60s). */
  timeoutMs: number;
  timeoutPlace: { file: string; line: number } | null;
  timeoutText: string;
  /** Why connections are not reused although the group has `keepalive`, in words; null when they are. */
  blockedBy: string | null;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function timeMs(value: string): number | null {
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)?/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== value) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 's'] as number), 0);
}

function upstreamBlock(config: NginxConfig, name: string): Directive | null {
  const http = config.tree.find((d) => d.directive === 'http');
  return http?.block?.find((d) => d.directive === 'upstream' && d.args[0]?.toLowerCase() === name.toLowerCase()) ?? null;
}

/** proxy_set_header is inherited only by levels that set none of their own: the innermost level with any wins. */
function proxyHeaders(route: Route): Directive[] {
  for (let i = route.chain.length - 1; i >= 0; i--) {
    const set = (route.chain[i]?.block ?? []).filter((d) => d.directive === 'proxy_set_header');
    if (set.length) return set;
  }
  return [];
}

export function keepAliveSetup(config: NginxConfig, route: Route): KeepAliveSetup {
  const group = route.pass?.group ?? null;
  const block = group ? upstreamBlock(config, group) : null;
  const keepalive = block?.block?.find((d) => d.directive === 'keepalive');
  const timeout = block?.block?.find((d) => d.directive === 'keepalive_timeout');
  const timeoutMs = (timeout && timeMs(timeout.args[0] ?? '')) || DEFAULT_TIMEOUT_MS;
  const setup: KeepAliveSetup = {
    group,
    cache: keepalive ? { size: Number(keepalive.args[0]), place: { file: keepalive.file, line: keepalive.line } } : null,
    timeoutMs,
    timeoutPlace: timeout ? { file: timeout.file, line: timeout.line } : null,
    timeoutText: timeout ? `keepalive_timeout ${timeout.args[0]} (${timeout.file}:${timeout.line})` : `keepalive_timeout not set in upstream ${group ?? ''}: nginx's default 60s`,
    blockedBy: null,
  };
  const module = route.pass?.module;
  if (!group) setup.blockedBy = 'the location does not pass to an upstream{} group, and only groups keep idle connections';
  else if (!keepalive) setup.blockedBy = `upstream ${group} has no keepalive directive, so nginx opens a new connection for every request`;
  else if (module === 'proxy') {
    const version = effectiveDirective(route, 'proxy_http_version')?.args[0] ?? '1.0';
    const connection = proxyHeaders(route).find((d) => d.args[0]?.toLowerCase() === 'connection');
    if (version !== '1.1') setup.blockedBy = `proxy_http_version is ${version}: nginx asks the backend to close after each response`;
    else if (!connection || connection.args[1]?.toLowerCase() === 'close')
      setup.blockedBy = 'nginx sends "Connection: close" (proxy_set_header Connection "" would clear it), so the backend closes after each response';
  } else if (module === 'fastcgi') {
    if (effectiveDirective(route, 'fastcgi_keep_conn')?.args[0] !== 'on') setup.blockedBy = 'fastcgi_keep_conn is off: php-fpm closes the connection after each request';
  } else {
    setup.blockedBy = `${module ?? 'this'}_pass never keeps connections to the backend open`;
  }
  return setup;
}

/** A keepalive_timeout safely below a backend's idle timeout: a second less, or half of a short one. */
export function suggestKeepAliveTimeout(backendIdleMs: number): string {
  if (backendIdleMs >= 2000) return `${Math.floor(backendIdleMs / 1000) - 1}s`;
  return `${Math.max(100, Math.floor(backendIdleMs / 200) * 100)}ms`;
}
