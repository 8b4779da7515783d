import type { Directive, NginxConfig } from './config-types.js';
import { compilePcre, type PcreMatch } from './pcre.js';

/** A value the request alone does not decide (the client's address, a time): routing says so instead of guessing. */
export class Undecided {
  constructor(readonly what: string) {}
}

export type VarValue = string | Undecided;

/** What a request carries that nginx's variables read. */
export interface RequestState {
  method: string;
  /** Normalized: decoded, slashes merged, dot segments resolved. */
  uri: string;
  /** The query string without "?"; '' when there is none. */
  args: string;
  /** The request line's target as sent. */
  requestUri: string;
  host: string;
  port: number;
  address?: string;
  https: boolean;
  client?: string;
  /** Request headers by lower-case name; undefined when the request's headers are not known (only its URL is). */
  headers?: Readonly<Record<string, string>>;
}

/** Everything a directive's value can read at one moment of the request: the request, set/map variables, captures. */
export interface Scope {
  request: RequestState;
  /** Variables written by `set` (and named captures), by name without "$". */
  vars: Map<string, VarValue>;
  /** $1..$9 of the last regex that matched. */
  captures: (string | undefined)[];
  /** Computed on demand: $document_root, $request_filename, $server_name, ... */
  derived: (name: string) => VarValue | undefined;
  maps: ReadonlyMap<string, Directive>;
  /** A map's value is worked out once per request, when first read (unless the map is `volatile`). */
  mapCache: Map<string, VarValue>;
  /** Regexes that cannot be evaluated, met while evaluating (the map entry that stopped us). */
  notes: string[];
}

const UNDECIDABLE = new Set([
  'remote_addr',
  'binary_remote_addr',
  'remote_port',
  'remote_user',
  'time_local',
  'time_iso8601',
  'msec',
  'connection',
  'connection_requests',
  'pid',
  'hostname',
  'request_id',
  'ssl_client_verify',
  'ssl_protocol',
  'ssl_cipher',
  'realip_remote_addr',
  'geoip_country_code',
  'request_body',
  'content_length',
]);

/** The map{} blocks of http{}, by the variable they define (without "$"). */
/** mapsOf's answer per config: every request walked asks, and an http block can hold 20,000 servers. */
const mapsMemo = new WeakMap<NginxConfig, Map<string, Directive>>();

export function mapsOf(config: NginxConfig): Map<string, Directive> {
  let maps = mapsMemo.get(config);
  if (maps) return maps;
  maps = new Map<string, Directive>();
  const http = config.tree.find((d) => d.directive === 'http');
  for (const d of http?.block ?? []) {
    if (d.directive === 'map' && d.args[1]?.startsWith('$')) maps.set(d.args[1].slice(1).toLowerCase(), d);
  }
  mapsMemo.set(config, maps);
  return maps;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function queryArg(args: string, name: string): string | undefined {
  for (const part of args.split('&')) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (key.toLowerCase() === name.toLowerCase()) return eq === -1 ? '' : part.slice(eq + 1);
  }
  return undefined;
}

/** The value of $name, as nginx would compute it for this request; Undecided when the request does not say. */
export function variable(scope: Scope, rawName: string, depth = 0): VarValue {
  const name = rawName.toLowerCase();
  if (/^\d$/.test(name)) return scope.captures[Number(name)] ?? '';
  const set = scope.vars.get(name);
  if (set !== undefined) return set;
  const { request } = scope;
  if (name === 'http_host') return request.headers?.host ?? request.host;
  if (name.startsWith('http_') || name.startsWith('cookie_')) {
    if (!request.headers) return new Undecided(`$${rawName}: the request's headers are not known (give them with --header)`);
    if (name.startsWith('cookie_')) return cookie(request.headers.cookie, rawName.slice(7)) ?? '';
    return request.headers[name.slice(5).replace(/_/g, '-')] ?? '';
  }
  if (name.startsWith('arg_')) return queryArg(request.args, name.slice(4)) ?? '';
  if (name.startsWith('sent_http_') || name.startsWith('upstream_')) return new Undecided(`$${rawName} is known only after the response`);
  const map = scope.maps.get(name);
  if (map) {
    const cached = scope.mapCache.get(name);
    if (cached !== undefined) return cached;
    const value = depth > 8 ? new Undecided(`$${rawName}: maps nest too deep`) : mapValue(scope, map, depth + 1);
    if (!(map.block ?? []).some((d) => d.directive === 'volatile')) scope.mapCache.set(name, value);
    return value;
  }
  switch (name) {
    case 'uri':
    case 'document_uri':
      return request.uri;
    case 'args':
    case 'query_string':
      return request.args;
    case 'is_args':
      return request.args ? '?' : '';
    case 'request_uri':
      return request.requestUri;
    case 'request_method':
      return request.method;
    case 'host':
      return request.host;
    case 'scheme':
      return request.https ? 'https' : 'http';
    case 'https':
      return request.https ? 'on' : '';
    case 'server_port':
      return String(request.port);
    case 'server_addr':
      return request.address ?? new Undecided('$server_addr: the address the request arrives on is not known');
    case 'server_protocol':
      return 'HTTP/1.1';
    case 'request':
      return `${request.method} ${request.requestUri} HTTP/1.1`;
    case 'content_type':
      return variable(scope, 'http_content_type', depth);
    case 'remote_addr':
    case 'realip_remote_addr':
      return request.client ?? new Undecided(`$${rawName} depends on the client, not on the request`);
    case 'nginx_version':
      return new Undecided('$nginx_version');
  }
  const derived = scope.derived(name);
  if (derived !== undefined) return derived;
  if (UNDECIDABLE.has(name)) return new Undecided(`$${rawName} depends on the client, not on the request`);
  return new Undecided(`$${rawName} is not a variable badgateway can evaluate`);
}

/**
 * A directive's value with its variables replaced ("$scheme://$host$request_uri"); Undecided when one of
 * them is. `$1`..`$9` read the last regex's captures.
 */
export function evaluate(scope: Scope, text: string, depth = 0): VarValue {
  let out = '';
  let undecided: Undecided | null = null;
  const pattern = /\$(?:\{(\w+)\}|(\d|\w+))/g;
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    const value = variable(scope, m[1] ?? m[2]!, depth);
    if (value instanceof Undecided) undecided ??= value;
    else out += value;
  }
  out += text.slice(last);
  return undecided ?? out;
}

/** Named captures become variables, as nginx makes them; numbered ones become $1..$9. */
export function takeCaptures(scope: Scope, match: PcreMatch): void {
  scope.captures = match.groups;
  for (const [name, value] of Object.entries(match.named)) scope.vars.set(name.toLowerCase(), value ?? '');
}

function hostnameMatches(pattern: string, value: string): boolean {
  if (pattern.startsWith('*.')) return value.endsWith(pattern.slice(1));
  if (pattern.startsWith('.')) return value === pattern.slice(1) || value.endsWith(pattern);
  if (pattern.endsWith('.*')) return value.startsWith(pattern.slice(0, -1));
  return false;
}

/** map $source $name { ... }: exact strings (caseless), then hostnames' wildcards, then regexes in order, else default. */
function mapValue(scope: Scope, map: Directive, depth: number): VarValue {
  const source = evaluate(scope, map.args[0] ?? '', depth);
  if (source instanceof Undecided) return source;
  const entries = (map.block ?? []).filter((d) => !['include', 'volatile'].includes(d.directive));
  const hostnames = entries.some((d) => d.directive === 'hostnames' && d.args.length === 0);
  const value = hostnames ? source.replace(/\.$/, '') : source;
  const lower = value.toLowerCase();
  const pick = (d: Directive | undefined): VarValue => (d ? evaluate(scope, d.args[0] ?? '', depth) : '');
  const keyOf = (d: Directive) => (d.directive === '\\' ? (d.args[0] ?? '') : d.directive);
  const plain = entries.filter((d) => d.directive !== 'default' && d.directive !== 'hostnames' && !d.directive.startsWith('~'));
  const exact = plain.find((d) => keyOf(d).toLowerCase() === lower && !(hostnames && /^\*\.|^\.|\.\*$/.test(keyOf(d))));
  if (exact) return pick(exact);
  if (hostnames && value) {
    const wild = plain.filter((d) => hostnameMatches(d.directive.toLowerCase(), lower));
    const longest = wild.sort((a, b) => b.directive.length - a.directive.length)[0];
    if (longest) return pick(longest);
  }
  for (const d of entries.filter((e) => e.directive.startsWith('~'))) {
    const caseless = d.directive.startsWith('~*');
    const regex = compilePcre(d.directive.slice(caseless ? 2 : 1), caseless);
    if (!regex.ok) {
      const note = `map ${map.args[1]} (${d.file}:${d.line}): ${regex.reason}`;
      scope.notes.push(note);
      return new Undecided(note);
    }
    const match = regex.exec(value);
    if (match) {
      takeCaptures(scope, match);
      return pick(d);
    }
  }
  return pick(entries.find((d) => d.directive === 'default'));
}
