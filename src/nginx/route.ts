import type { Directive, NginxConfig } from './config-types.js';
import { walkRequest } from './request-walk.js';
import type { PathKinds, RequestTarget, Route } from './route-types.js';
import { deepArgs } from './lazy-server.js';
import { children } from './server-select.js';

export type { PassTarget, PathKind, PathKinds, RequestTarget, Route, RouteStep, UpstreamServer } from './route-types.js';

const httpBlock = (config: NginxConfig): Directive | undefined => config.tree.find((d) => d.directive === 'http');

/** Debian's nginx is built with this prefix; a relative root or log path is joined to the running nginx's own (-p). */
export const DEFAULT_PREFIX = '/usr/share/nginx/';

/**
 * Where nginx sends this request and why: the server, every rewrite and internal redirect, the final
 * location and its *_pass, or what nginx answers itself. `kinds` holds what the box said is at the paths
 * try_files and index test; a path it lacks comes back in route.unknownPaths (ask the box, route again).
 * Null when no server listens there.
 */
export function routeRequest(config: NginxConfig, target: RequestTarget, kinds?: PathKinds, prefix: string = DEFAULT_PREFIX): Route | null {
  return walkRequest(config, target, kinds, prefix);
}

/** The directive in force for this route: the innermost level of route.chain that writes it. */
export function effectiveDirective(route: Route, name: string): Directive | null {
  for (let i = route.chain.length - 1; i >= 0; i--) {
    const found = children(route.chain[i], name)[0];
    if (found) return found;
  }
  return null;
}

const isFileLog = (target: string): boolean => target !== 'stderr' && !target.startsWith('syslog:') && !target.startsWith('memory:');

function resolveLog(target: string, prefix: string): string {
  if (!isFileLog(target) || target.startsWith('/')) return target;
  return `${prefix.replace(/\/*$/, '')}/${target}`;
}

/**
 * The error logs that receive this route's errors: every error_log of the innermost level that has any
 * (location, server, http, then main; without a route: http, then main). File paths come back absolute (relative ones joined to `prefix`);
 * `stderr`, `syslog:...` and `memory:...` come back verbatim, so a caller tells them apart by the leading "/".
 * [] when the config writes no error_log that applies: nginx then uses its compiled --error-log-path.
 */
export function errorLogsFor(config: NginxConfig, route: Route | null, prefix: string): string[] {
  const main: Directive = { directive: '', args: [], line: 0, file: '', block: config.tree };
  const http = httpBlock(config);
  const chain = route?.chain ?? (http ? [http] : []);
  for (const level of [...chain].reverse().concat(main)) {
    const logs = children(level, 'error_log');
    if (logs.length > 0) return [...new Set(logs.map((d) => resolveLog(d.args[0] ?? '', prefix)))];
  }
  return [];
}

/** Every distinct file that some error_log in the config writes to (absolute paths; stderr/syslog/memory left out). */
export function allErrorLogs(config: NginxConfig, prefix: string): string[] {
  const logs = deepArgs(config.tree, (directive, first) => directive === 'error_log' && first !== '' && isFileLog(first));
  return [...new Set(logs.map((log) => resolveLog(log, prefix)))];
}

/**
 * The user nginx's workers run as, from `user` in the main context. Without a group argument nginx uses the
 * group named like the user, and that is what `group` says. Without a `user` directive: 'nobody' and group null,
 * nginx's usual compiled default (a caller that knows `--user=` from nginx -V should prefer it).
 */
export function workerUser(config: NginxConfig): { user: string; group: string | null; place: { file: string; line: number } | null } {
  const d = config.tree.find((x) => x.directive === 'user');
  if (!d?.args[0]) return { user: 'nobody', group: null, place: null };
  return { user: d.args[0], group: d.args[1] ?? d.args[0], place: { file: d.file, line: d.line } };
}
