import type { Route } from './route.js';

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/** $proxy_host: the host (and port, unless it is the scheme's default) written in proxy_pass; "localhost" for a unix socket. */
export function proxyHost(passArg: string): string {
  const m = /^(\w+):\/\/([^/]*)/.exec(passArg);
  if (!m) return passArg;
  const [, scheme, authority] = m as unknown as [string, string, string];
  if (authority.startsWith('unix:')) return 'localhost';
  const port = /:(\d+)$/.exec(authority)?.[1];
  return port && DEFAULT_PORTS[scheme] === port ? authority.slice(0, -(port.length + 1)) : authority;
}

/**
 * The Host header nginx sends the backend for this route: proxy_set_header Host from the innermost level
 * that sets any proxy_set_header (nginx inherits them only as a whole), else $proxy_host. Variables it
 * cannot know stand for the client's Host, which is what they usually carry.
 */
export function hostNginxSends(route: Route, clientHost: string): string {
  const pass = route.pass?.directive.args[0] ?? '';
  for (let i = route.chain.length - 1; i >= 0; i--) {
    const headers = (route.chain[i]?.block ?? []).filter((d) => d.directive === 'proxy_set_header');
    if (!headers.length) continue;
    const host = headers.find((d) => d.args[0]?.toLowerCase() === 'host');
    if (!host) break;
    const known: Record<string, string> = { http_host: clientHost, host: clientHost.replace(/:\d+$/, ''), proxy_host: proxyHost(pass), server_name: route.serverName };
    const value = (host.args[1] ?? '').replace(/\$(?:\{(\w+)\}|(\w+))/g, (whole, braced?: string, bare?: string) => known[(braced ?? bare) as string] ?? whole);
    return value.includes('$') || value === '' ? clientHost : value;
  }
  return proxyHost(pass);
}

/** The URI part of a proxy_pass target ("http://h:1/app/" -> "/app/"), or null when it has none. */
export function passUri(passArg: string): string | null {
  const unix = /^\w+:\/\/unix:[^:]*:?(.*)$/.exec(passArg);
  const rest = unix ? unix[1] : /^\w+:\/\/[^/]*(.*)$/.exec(passArg)?.[1];
  return rest ? rest : null;
}

/**
 * The path nginx sends the backend: with a URI in proxy_pass, the part of the path that matched a prefix
 * location is replaced by that URI; without one (or with variables), the client's path goes as it is.
 */
export function pathNginxSends(route: Route, path: string): string {
  const arg = route.pass?.module === 'proxy' ? (route.pass.directive.args[0] ?? '') : '';
  const uri = passUri(arg);
  if (uri === null || arg.includes('$')) return path;
  const args = route.location?.args ?? [];
  const prefix = args.length === 1 ? args[0] : args[0] === '^~' || args[0] === '=' ? args[1] : undefined;
  if (prefix === undefined || !path.startsWith(prefix)) return path;
  return uri + path.slice(prefix.length);
}
