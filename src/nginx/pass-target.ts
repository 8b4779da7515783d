import type { Directive, NginxConfig } from './config-types.js';
import type { PassTarget, UpstreamServer } from './route-types.js';
import { children } from './server-select.js';

const MODULE_OF: Record<string, PassTarget['module']> = {
  proxy_pass: 'proxy',
  fastcgi_pass: 'fastcgi',
  uwsgi_pass: 'uwsgi',
  scgi_pass: 'scgi',
  grpc_pass: 'grpc',
  memcached_pass: 'memcached',
};

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443, grpcs: 443, memcached: 11211 };

type Address = { kind: 'unix'; socket: string } | { kind: 'tcp'; host: string; port?: number };

function parseAddress(text: string, defaultPort?: number): Address {
  // unix:///run/app.sock (as uWSGI's docs write it) is the same file as unix:/run/app.sock.
  if (text.startsWith('unix:')) return { kind: 'unix', socket: text.slice(5).replace(/^\/+/, '/') };
  let host = text;
  let port: number | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    host = text.slice(1, end);
    if (text[end + 1] === ':') port = Number(text.slice(end + 2));
  } else if (text.split(':').length === 2) {
    host = text.slice(0, text.indexOf(':'));
    port = Number(text.slice(text.indexOf(':') + 1));
  }
  return { kind: 'tcp', host, port: port ?? defaultPort };
}

function upstreamServer(addr: Address, params: string[], at: Directive): UpstreamServer {
  const place = { params, file: at.file, line: at.line };
  if (addr.kind === 'unix') return { target: `unix:${addr.socket}`, kind: 'unix', socket: addr.socket, ...place };
  const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
  const target = addr.port === undefined ? host : `${host}:${addr.port}`;
  return { target, kind: 'tcp', host: addr.host, ...(addr.port === undefined ? {} : { port: addr.port }), ...place };
}

export const isPassDirective = (name: string): boolean => name in MODULE_OF;

/** The upstream{} block of that name, if the config has one. */
export function upstreamBlock(config: NginxConfig, name: string): Directive | undefined {
  const http = config.tree.find((d) => d.directive === 'http');
  return children(http, 'upstream').find((u) => u.args[0]?.toLowerCase() === name.toLowerCase());
}

/**
 * Where a `*_pass` sends the request, given its argument with variables evaluated (`evaluated`), or the
 * part we could evaluate (`unresolved`) when a variable is left.
 */
export function passTarget(config: NginxConfig, directive: Directive, evaluated: string, unresolved?: string): PassTarget {
  const module = MODULE_OF[directive.directive]!;
  const value = unresolved ?? evaluated;
  const schemeMatch = value.startsWith('unix:') ? null : /^([a-z]+):\/\//i.exec(value);
  const scheme = (schemeMatch?.[1] ?? (module === 'proxy' ? '' : module)).toLowerCase();
  const base: PassTarget = { module, scheme, directive, group: null, servers: [], evaluated: value };
  if (unresolved !== undefined) return { ...base, unresolved };

  let rest = schemeMatch ? value.slice(schemeMatch[0].length) : value;
  if (module === 'proxy' || module === 'grpc') {
    // proxy_pass http://unix:/run/app.sock:/uri — the socket path ends at the next ":".
    if (rest.startsWith('unix:')) {
      const colon = rest.indexOf(':', 5);
      return { ...base, servers: [upstreamServer(parseAddress(colon === -1 ? rest : rest.slice(0, colon)), [], directive)] };
    }
    rest = rest.replace(/\/.*$/s, '');
  }
  const addr = parseAddress(rest, undefined);
  // A name without port is looked up among upstream{} blocks first (nginx refuses a port on an upstream name).
  if (addr.kind === 'tcp' && addr.port === undefined) {
    const upstream = upstreamBlock(config, addr.host);
    if (upstream) {
      const servers = children(upstream, 'server').map((s) => {
        const [address = '', ...params] = s.args;
        return upstreamServer(parseAddress(address, 80), params, s);
      });
      return { ...base, group: upstream.args[0]!, servers };
    }
    const port = module === 'proxy' || module === 'grpc' || module === 'memcached' ? DEFAULT_PORT[scheme] : undefined;
    return { ...base, servers: [upstreamServer({ ...addr, ...(port === undefined ? {} : { port }) }, [], directive)] };
  }
  return { ...base, servers: [upstreamServer(addr, [], directive)] };
}
