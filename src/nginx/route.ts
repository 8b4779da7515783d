import type { Directive, NginxConfig } from './config-types.js';

export interface RequestTarget {
  port: number;
  /** The local address the request arrives on (127.0.0.1, ::1). Unknown: every server listening on the port is a candidate. */
  address?: string;
  hostHeader: string;
  path: string;
  /** Informational: TLS is a property of the listening socket, so it does not change which server is picked. */
  https?: boolean;
}

export interface UpstreamServer {
  /** `host:port`, `[v6]:port`, or `unix:/path`, as nginx dials it. */
  target: string;
  kind: 'tcp' | 'unix';
  host?: string;
  port?: number;
  socket?: string;
  params: string[];
  file: string;
  line: number;
}

export interface PassTarget {
  module: 'proxy' | 'fastcgi' | 'uwsgi' | 'scgi' | 'grpc';
  scheme: string;
  directive: Directive;
  /** The upstream{} block the target names, if any. */
  group: string | null;
  servers: UpstreamServer[];
  /** Set when the target holds variables no `set` in scope explains: the argument after substituting what we could. */
  unresolved?: string;
}

export interface Route {
  server: Directive;
  serverName: string;
  /** How the server was chosen: by a server_name of that kind, or as the default for the address:port. */
  serverBy: 'exact' | 'wildcard' | 'regex' | 'default';
  location: Directive | null;
  locationMatch: string;
  pass: PassTarget | null;
  /** [http, server, location...] from outer to inner. */
  chain: Directive[];
}

const children = (d: Directive | undefined, name: string): Directive[] =>
  (d?.block ?? []).filter((c) => c.directive === name);

const httpBlock = (config: NginxConfig): Directive | undefined => config.tree.find((d) => d.directive === 'http');

/** PCRE as nginx compiles it, in the JavaScript dialect; null when it does not translate. */
function pcre(source: string, caseless: boolean): RegExp | null {
  let flags = caseless ? 'i' : '';
  let body = source.replace(/\(\?P</g, '(?<');
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags = 'i';
  }
  try {
    return new RegExp(body, flags);
  } catch {
    return null;
  }
}

// ---- server selection --------------------------------------------------------------------------

interface Listen {
  host: string | null; // null: every address of the family
  family: 4 | 6;
  port: number;
  isDefault: boolean;
  ipv6only: boolean;
}

function parseListen(d: Directive): Listen | null {
  const [addr = '', ...params] = d.args;
  if (addr.startsWith('unix:')) return null;
  const isDefault = params.includes('default_server') || params.includes('default');
  const ipv6only = !params.includes('ipv6only=off');
  let host: string;
  let port = 80;
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    host = addr.slice(1, end);
    const rest = addr.slice(end + 1);
    if (rest.startsWith(':')) port = Number(rest.slice(1));
  } else if (/^\d+$/.test(addr)) {
    host = '*';
    port = Number(addr);
  } else if (addr.includes(':')) {
    host = addr.slice(0, addr.lastIndexOf(':'));
    port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  } else {
    host = addr;
  }
  const family = host.includes(':') ? 6 : 4;
  const wildcard = host === '*' || host === '0.0.0.0' || host === '::';
  return { host: wildcard ? null : host.toLowerCase(), family, port, isDefault, ipv6only };
}

function listensOf(server: Directive): Listen[] {
  const written = children(server, 'listen');
  // A server without listen gets *:80 (nginx uses *:8000 when it runs unprivileged).
  if (written.length === 0) return [{ host: null, family: 4, port: 80, isDefault: false, ipv6only: true }];
  return written.map(parseListen).filter((l): l is Listen => l !== null);
}

function sameAddress(listenHost: string, address: string): boolean {
  if (listenHost === 'localhost') return address === '127.0.0.1' || address === '::1';
  return listenHost === address;
}

/** The servers that see a connection to address:port, per nginx: a specific address hides the wildcard listeners. */
function candidates(servers: Directive[], port: number, address?: string): { server: Directive; isDefault: boolean }[] {
  const onPort = servers.map((server) => ({ server, listens: listensOf(server).filter((l) => l.port === port) }));
  let accepts: (l: Listen) => boolean = () => true;
  if (address !== undefined) {
    const addr = address.replace(/^\[|\]$/g, '').toLowerCase();
    const family = addr.includes(':') ? 6 : 4;
    const specific = (l: Listen): boolean => l.host !== null && sameAddress(l.host, addr);
    const wildcard = (l: Listen): boolean =>
      l.host === null && (l.family === family || (family === 4 && l.family === 6 && !l.ipv6only));
    accepts = onPort.some((s) => s.listens.some(specific)) ? specific : wildcard;
  }
  return onPort
    .filter((s) => s.listens.some(accepts))
    .map((s) => ({ server: s.server, isDefault: s.listens.some((l) => accepts(l) && l.isDefault) }));
}

function normalizeHost(hostHeader: string): string {
  let host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else if (host.includes(':')) host = host.slice(0, host.indexOf(':'));
  return host.replace(/\.$/, '');
}

function pickServer(
  pool: { server: Directive; isDefault: boolean }[],
  hostHeader: string,
): { server: Directive; name: string; by: Route['serverBy'] } | null {
  const host = normalizeHost(hostHeader);
  const names = pool.flatMap(({ server }) => children(server, 'server_name').flatMap((d) => d.args.map((name) => ({ server, name }))));
  const exact = names.find(({ name }) => name.toLowerCase() === host && !/^[~.]|\*/.test(name));
  if (exact) return { ...exact, by: 'exact' };
  const longest = (matches: { server: Directive; name: string }[]) =>
    matches.reduce<{ server: Directive; name: string } | null>((best, m) => (!best || m.name.length > best.name.length ? m : best), null);
  const leading = longest(
    names.filter(({ name }) => {
      const n = name.toLowerCase();
      // ".example.org" is nginx shorthand for "example.org" plus "*.example.org".
      const suffix = n.startsWith('*.') ? n.slice(1) : n.startsWith('.') ? n : null;
      return suffix !== null && (host.endsWith(suffix) || (n.startsWith('.') && host === n.slice(1)));
    }),
  );
  if (leading) return { ...leading, by: 'wildcard' };
  const trailing = longest(names.filter(({ name }) => name.endsWith('.*') && host.startsWith(name.toLowerCase().slice(0, -1))));
  if (trailing) return { ...trailing, by: 'wildcard' };
  const regex = names.find(({ name }) => name.startsWith('~') && pcre(name.slice(1), true)?.test(host));
  if (regex) return { ...regex, by: 'regex' };
  const fallback = pool.find((s) => s.isDefault) ?? pool[0];
  if (!fallback) return null;
  const first = children(fallback.server, 'server_name')[0]?.args[0] ?? '';
  return { server: fallback.server, name: first, by: 'default' };
}

// ---- location selection ------------------------------------------------------------------------

interface LocationSpec {
  directive: Directive;
  modifier: '' | '=' | '^~' | '~' | '~*';
  name: string;
}

function locationSpec(d: Directive): LocationSpec | null {
  let [modifier = '', name = ''] = d.args;
  if (d.args.length === 1) {
    const attached = /^(=|\^~|~\*|~)?(.*)$/s.exec(modifier)!;
    modifier = attached[1] ?? '';
    name = attached[2]!;
  }
  if (name.startsWith('@') || !['', '=', '^~', '~', '~*'].includes(modifier)) return null;
  return { directive: d, modifier: modifier as LocationSpec['modifier'], name };
}

const describe = (spec: LocationSpec): string => `location ${spec.modifier ? `${spec.modifier} ` : ''}${spec.name}`;

/** nginx's ngx_http_core_find_location, level by level: exact, longest prefix (and its nested ones), then regexes. */
function findLocation(parent: Directive, uri: string): { path: LocationSpec[]; final: boolean } {
  const specs = children(parent, 'location')
    .map(locationSpec)
    .filter((s): s is LocationSpec => s !== null);
  const exact = specs.find((s) => s.modifier === '=' && s.name === uri);
  if (exact) return { path: [exact], final: true };
  let path: LocationSpec[] = [];
  let noRegex = false;
  const prefix = specs
    .filter((s) => (s.modifier === '' || s.modifier === '^~') && uri.startsWith(s.name))
    .reduce<LocationSpec | null>((best, s) => (!best || s.name.length > best.name.length ? s : best), null);
  if (prefix) {
    noRegex = prefix.modifier === '^~';
    const nested = findLocation(prefix.directive, uri);
    path = [prefix, ...nested.path];
    if (nested.final) return { path, final: true };
  }
  if (!noRegex) {
    for (const s of specs) {
      if ((s.modifier === '~' || s.modifier === '~*') && pcre(s.name, s.modifier === '~*')?.test(uri)) {
        return { path: [s, ...findLocation(s.directive, uri).path], final: true };
      }
    }
  }
  return { path, final: false };
}

/** The URI nginx matches locations against: no query, percent-decoded, slashes merged, dot segments resolved. */
function normalizeUri(path: string): string {
  let uri = path.replace(/[?#].*$/s, '') || '/';
  try {
    uri = decodeURIComponent(uri);
  } catch {
    // keep it as sent; nginx would answer 400 here
  }
  const out: string[] = [];
  for (const seg of uri.split('/').slice(1)) {
    if (seg === '..') out.pop();
    else if (seg !== '.' && seg !== '') out.push(seg);
  }
  const trailing = /\/\.{0,2}$/.test(uri) && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

// ---- where the request goes --------------------------------------------------------------------

const PASS = new Map<string, PassTarget['module']>([
  ['proxy_pass', 'proxy'],
  ['fastcgi_pass', 'fastcgi'],
  ['uwsgi_pass', 'uwsgi'],
  ['scgi_pass', 'scgi'],
  ['grpc_pass', 'grpc'],
]);

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

type Address = { kind: 'unix'; socket: string } | { kind: 'tcp'; host: string; port?: number };

function parseAddress(text: string, defaultPort?: number): Address {
  if (text.startsWith('unix:')) return { kind: 'unix', socket: text.slice(5) };
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

/** Replaces $name / ${name} from `set` directives along the chain (the innermost set runs last, so it wins). */
function substitute(text: string, chain: Directive[]): string {
  const vars = new Map<string, string>();
  for (const level of chain) {
    for (const d of children(level, 'set')) {
      const [name, value] = d.args;
      if (name?.startsWith('$') && value !== undefined) vars.set(name.slice(1), value);
    }
  }
  let out = text;
  for (let round = 0; round < 5 && out.includes('$'); round++) {
    out = out.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => vars.get(braced ?? bare ?? '') ?? whole);
  }
  return out;
}

function passTarget(config: NginxConfig, directive: Directive, chain: Directive[]): PassTarget {
  const module = PASS.get(directive.directive)!;
  const raw = directive.args[0] ?? '';
  const value = raw.includes('$') ? substitute(raw, chain) : raw;
  const schemeMatch = /^([a-z]+):\/\//i.exec(value);
  const scheme = (schemeMatch?.[1] ?? (module === 'proxy' ? '' : module)).toLowerCase();
  const base: PassTarget = { module, scheme, directive, group: null, servers: [] };
  if (value.includes('$')) return { ...base, unresolved: value };

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
    const upstream = children(httpBlock(config), 'upstream').find((u) => u.args[0]?.toLowerCase() === addr.host.toLowerCase());
    if (upstream) {
      const servers = children(upstream, 'server').map((s) => {
        const [address = '', ...params] = s.args;
        return upstreamServer(parseAddress(address, 80), params, s);
      });
      return { ...base, group: upstream.args[0]!, servers };
    }
    const port = module === 'proxy' ? DEFAULT_PORT[scheme] : module === 'grpc' && scheme === 'grpcs' ? 443 : undefined;
    return { ...base, servers: [upstreamServer({ ...addr, ...(port === undefined ? {} : { port }) }, [], directive)] };
  }
  return { ...base, servers: [upstreamServer(addr, [], directive)] };
}

// ---- public API --------------------------------------------------------------------------------

/** Which server and location nginx picks for a request, and where that location sends it. Null when no server listens there. */
export function routeRequest(config: NginxConfig, target: RequestTarget): Route | null {
  const http = httpBlock(config);
  if (!http) return null;
  const picked = pickServer(candidates(children(http, 'server'), target.port, target.address), target.hostHeader);
  if (!picked) return null;
  const found = findLocation(picked.server, normalizeUri(target.path));
  const locations = found.path.map((s) => s.directive);
  const chain = [http, picked.server, ...locations];
  const inner = found.path.at(-1);
  const location = inner?.directive ?? null;
  const passDirective = location?.block?.find((d) => PASS.has(d.directive));
  return {
    server: picked.server,
    serverName: picked.name,
    serverBy: picked.by,
    location,
    locationMatch: inner ? describe(inner) : '(no location)',
    pass: passDirective ? passTarget(config, passDirective, chain) : null,
    chain,
  };
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
  const found = new Set<string>();
  const walk = (directives: Directive[]): void => {
    for (const d of directives) {
      if (d.directive === 'error_log' && d.args[0] && isFileLog(d.args[0])) found.add(resolveLog(d.args[0], prefix));
      if (d.block) walk(d.block);
    }
  };
  walk(config.tree);
  return [...found];
}

/**
 * The user nginx's workers run as, from `user` in the main context. Without a group argument nginx uses the
 * group named like the user, and that is what `group` says. Without a `user` directive: 'nobody' and group null,
 * nginx's usual compiled default (a caller that knows `--user=` from nginx -V should prefer it).
 */
export function workerUser(config: NginxConfig): { user: string; group: string | null; place: { file: string; line: number } | null } {
  const d = config.tree.find((x) => x.directive === 'user');
  if (!d || !d.args[0]) return { user: 'nobody', group: null, place: null };
  return { user: d.args[0], group: d.args[1] ?? d.args[0], place: { file: d.file, line: d.line } };
}
