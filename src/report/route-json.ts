import type { Route, RouteStep } from '../nginx/route-types.js';
import { stripControl } from '../shell/sanitize.js';

/** The request `badgateway route` worked out, as the box sees it. */
export interface RouteRequest {
  method: string;
  url: string;
  /** The Host header nginx sees: --header 'Host: ...', else the URL's host[:port]. */
  hostHeader: string;
  /** The address:port the connection arrives on. */
  connectTo: string;
  headers: Record<string, string>;
}

interface Place {
  file: string;
  line: number;
}

export type ContractOutcome = 'proxied' | 'served' | 'redirect' | 'return' | 'no-server';

/** `badgateway route --json` (DESIGN.md, contract): the first six members; the rest are extras. */
export interface RouteJson {
  outcome: ContractOutcome;
  server: Place | null;
  location: Place | null;
  pass: {
    directive: string;
    file: string;
    line: number;
    /** The argument as nginx evaluates it for this request. */
    target: string;
    module: string;
    args: string[];
    group: string | null;
    servers: { target: string; params: string[]; file: string; line: number }[];
    /** The target still holds a variable the request alone cannot decide. */
    unresolved?: string;
  } | null;
  status: number | null;
  steps: RouteStep[];
  /** False when part of the route depends on more than the request: see `undecided`. */
  decided: boolean;
  undecided: string[];
  unknownPaths: string[];
  serverName: string | null;
  serverBy: Route['serverBy'] | null;
  locationMatch: string | null;
  uri: string | null;
  redirectTo: string | null;
  file: string | null;
  /** Why no server takes the request (no-server only). */
  reason?: string;
  request: { method: string; url: string; host: string; connectTo: string; headers: Record<string, string> };
}

const place = (d: Place | null): Place | null => (d ? { file: d.file, line: d.line } : null);

/**
 * The engine says 'undecided' when something beyond the request decides (a condition on the client's
 * address, a regex it cannot evaluate). The contract has no such outcome, so the answer is what the route
 * does as far as it got: a pass means proxied, a Location header a redirect, a status without a file a
 * return, else served; `decided: false` and `undecided` say why it may differ.
 */
export function contractOutcome(route: Route): ContractOutcome {
  if (route.outcome !== 'undecided') return route.outcome;
  if (route.pass) return 'proxied';
  if (route.redirectTo !== undefined) return 'redirect';
  if (route.status !== null && route.file === undefined) return 'return';
  return 'served';
}

function clean<T>(value: T): T {
  if (typeof value === 'string') return stripControl(value) as T;
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)])) as T;
  return value;
}

/** Why nothing takes a request: nginx has no server{} listening where it arrives. */
export function noServerReason(request: RouteRequest): string {
  return `no server{} in nginx's configuration listens on ${request.connectTo}: nginx does not take this connection`;
}

/** A route (null: no server listens there) as `badgateway route --json` prints it. Strings from the box are stripped of terminal controls. */
export function routeJson(route: Route | null, request: RouteRequest, reason?: string): RouteJson {
  const asked = { method: request.method, url: request.url, host: request.hostHeader, connectTo: request.connectTo, headers: request.headers };
  if (!route) {
    const why = reason ?? noServerReason(request);
    return clean({
      outcome: 'no-server',
      server: null,
      location: null,
      pass: null,
      status: null,
      steps: [{ kind: 'server', text: why }],
      decided: true,
      undecided: [],
      unknownPaths: [],
      serverName: null,
      serverBy: null,
      locationMatch: null,
      uri: null,
      redirectTo: null,
      file: null,
      reason: why,
      request: asked,
    });
  }
  const { pass } = route;
  return clean({
    outcome: contractOutcome(route),
    server: place(route.server),
    location: place(route.location),
    pass: pass && {
      directive: pass.directive.directive,
      file: pass.directive.file,
      line: pass.directive.line,
      target: pass.evaluated,
      module: pass.module,
      args: pass.directive.args,
      group: pass.group,
      servers: pass.servers.map((s) => ({ target: s.target, params: s.params, file: s.file, line: s.line })),
      ...(pass.unresolved !== undefined ? { unresolved: pass.unresolved } : {}),
    },
    status: route.status,
    steps: route.steps.map((s) => ({ kind: s.kind, text: s.text, ...(s.file !== undefined ? { file: s.file } : {}), ...(s.line !== undefined ? { line: s.line } : {}) })),
    decided: route.outcome !== 'undecided' && route.undecided.length === 0 && route.unknownPaths.length === 0,
    undecided: route.undecided,
    unknownPaths: route.unknownPaths,
    serverName: route.serverName,
    serverBy: route.serverBy,
    locationMatch: route.locationMatch,
    uri: route.uri,
    redirectTo: route.redirectTo ?? null,
    file: route.file ?? null,
    request: asked,
  });
}
