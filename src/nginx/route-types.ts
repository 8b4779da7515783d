import type { Directive } from './config-types.js';

/** One request as nginx receives it. */
export interface RequestTarget {
  port: number;
  /** The local address the request arrives on (127.0.0.1, ::1). Unknown: every server listening on the port is a candidate. */
  address?: string;
  hostHeader: string;
  /** The request line's target: path and query, as sent (still %-encoded). */
  path: string;
  /** TLS is a property of the listening socket, so it does not change which server is picked; it sets $scheme and $https. */
  https?: boolean;
  /** GET when not given. */
  method?: string;
  /** Request headers by lower-case name (Host comes from hostHeader); undefined: not known, so $http_* cannot be decided. */
  headers?: Readonly<Record<string, string>>;
  /** The client's address; unknown: allow/deny rules and $remote_addr that depend on it are reported, not guessed. */
  client?: string;
}

/** What the box says is at a path: a directory, something else that exists, or nothing (or nothing nginx may open). */
export type PathKind = 'dir' | 'file' | 'none';

/** The box's answers so far, by absolute path. A path not in it has not been asked yet. */
export type PathKinds = Readonly<Record<string, PathKind>>;

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
  module: 'proxy' | 'fastcgi' | 'uwsgi' | 'scgi' | 'grpc' | 'memcached';
  scheme: string;
  directive: Directive;
  /** The upstream{} block the target names, if any. */
  group: string | null;
  servers: UpstreamServer[];
  /** The argument with every variable we could evaluate replaced. */
  evaluated: string;
  /** Set when the target still holds a variable the request alone cannot decide: the argument as far as we got. */
  unresolved?: string;
}

/** One thing nginx does with the request, in order: the trail `badgateway route` prints. */
export interface RouteStep {
  kind: 'server' | 'rewrite' | 'return' | 'if' | 'location' | 'redirect' | 'access' | 'try_files' | 'index' | 'static' | 'error_page' | 'pass' | 'note';
  text: string;
  file?: string;
  line?: number;
}

export type RouteOutcome = 'proxied' | 'served' | 'redirect' | 'return' | 'undecided';

export interface Route {
  outcome: RouteOutcome;
  server: Directive;
  serverName: string;
  /** How the server was chosen: by a server_name of that kind, or as the default for the address:port. */
  serverBy: 'exact' | 'wildcard' | 'regex' | 'default';
  /** The location that finally handles the request (after internal redirects); null: the server itself. */
  location: Directive | null;
  locationMatch: string;
  pass: PassTarget | null;
  /** The pass module's `*_param` lines in force (FastCGI, uwsgi, SCGI), valued for this request; absent for proxy_pass and grpc_pass. */
  params?: PassParam[];
  /** [http, server, location..., if...] of the final location, from outer to inner. */
  chain: Directive[];
  /** The URI after every rewrite and internal redirect. */
  uri: string;
  /** The status nginx answers with when it answers itself (return, redirect, served file or error); null when proxied. */
  status: number | null;
  /** For a redirect: the Location header. */
  redirectTo?: string;
  /** For a served file: its path on the box. */
  file?: string;
  steps: RouteStep[];
  /** Paths whose kind must be known to go on: ask the box (PathKinds), then route again. Empty when the route is complete. */
  unknownPaths: string[];
  /** What the request alone cannot decide (a condition on $remote_addr, a regex PCRE has and JavaScript lacks). */
  undecided: string[];
}

/** One `*_param` line in force for the location, with its value for this request. */
export interface PassParam {
  name: string;
  /** The value as written in the config. */
  written: string;
  /** Its value for this request; null when the request alone does not decide it (the client's address). */
  value: string | null;
  /** Why value is null. */
  undecided?: string;
  ifNotEmpty: boolean;
  file: string;
  line: number;
}
