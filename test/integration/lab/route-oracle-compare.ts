import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { join, posix } from 'node:path';
import type { PathKinds, RequestTarget, Route, UpstreamServer } from '../../../src/nginx/route-types.js';
import { describeRequest, ID_HEADER, sameLocation, type Exchange, type Verdict } from './route-oracle.js';
import type { CaseRequest, Site } from './route-oracle-site.js';

/**
 * The engine's side of the routing suite: parse nginx's own `nginx -T` of the site, route each request
 * with resolveRoute (asking this machine about paths through a LocalHost, as the tool asks a box), and
 * hold the route against nginx's verdict.
 */

export interface Disagreement {
  config: string;
  request: string;
  nginx: string;
  engine: string;
  steps: string;
  /** How many requests the row stands for (all of a config's when the engine cannot load). */
  count?: number;
}

export type Router = (req: CaseRequest, id: string) => Promise<Route | null>;

/** Loads the engine (it may fail to import while it is being rewritten: then every request says so). */
export async function engineFor(site: Site): Promise<Router> {
  const [{ parseDump }, { resolveRoute }, { pathKindsCommand, parsePathKinds }, { LocalHost }] = await Promise.all([
    import('../../../src/nginx/parse-dump.js'),
    import('../../../src/nginx/route-resolve.js'),
    import('../../../src/system/path-kinds.js'),
    import('../../../src/hosts/local.js'),
  ]);
  const config = parseDump(site.dump);
  const host = new LocalHost();
  const ask = async (paths: string[]): Promise<PathKinds> => parsePathKinds(paths, (await host.run(pathKindsCommand(paths))).stdout);
  return async (req, id) => {
    const target: RequestTarget = {
      port: site.ports.get(req.listen) as number,
      address: req.address,
      hostHeader: req.host,
      path: req.path,
      method: req.method,
      headers: { [ID_HEADER]: id, ...req.headers },
      // The requests go out from this machine over loopback: nginx sees them come from 127.0.0.1.
      client: '127.0.0.1',
    };
    return (await resolveRoute(config, target, ask)).route;
  };
}

export function describeRoute(route: Route, site: Site): string {
  const where = route.pass ? ` ${route.pass.servers.map((s) => backendName(site, s.target)).join('|') || route.pass.unresolved || route.pass.evaluated}` : '';
  const status = route.status === null ? '' : ` ${route.status}`;
  const to = route.redirectTo ? ` ${route.redirectTo}` : '';
  const file = route.file ? ` ${route.file.startsWith(`${site.prefix}/`) ? route.file.slice(site.prefix.length + 1) : route.file}` : '';
  const open = [...route.unknownPaths.map((p) => `unknown path ${p}`), ...route.undecided].join('; ');
  return `${route.outcome}${status}${where}${to}${file}${open ? ` (${open})` : ''}`;
}

function backendName(site: Site, target: string): string {
  return [...site.backends.values()].find((b) => b.address === target || b.dialled.includes(target))?.name ?? target;
}

/** What nginx may dial for a server of a pass: its target, or each address its name resolves to here. */
async function dialable(server: UpstreamServer): Promise<string[]> {
  if (server.kind !== 'tcp' || !server.host || server.port === undefined || isIP(server.host.replace(/^\[|\]$/g, ''))) return [server.target];
  const port = server.port;
  const found = await lookup(server.host, { all: true }).catch(() => []);
  return [server.target, ...found.map((a) => (a.family === 6 ? `[${a.address}]:${port}` : `${a.address}:${port}`))];
}

/** Why the route does not say what nginx did, or null when it does. */
export async function disagreement(verdict: Verdict, route: Route | null, req: CaseRequest, site: Site): Promise<string | null> {
  if (!route) return 'no route (no server chosen)';
  const port = site.ports.get(req.listen) as number;
  if (verdict.kind === 'proxied') {
    if (route.outcome !== 'proxied' || !route.pass) return 'not proxied';
    const targets = (await Promise.all(route.pass.servers.map(dialable))).flat();
    return targets.includes(verdict.upstream as string) ? null : `another pass: ${route.pass.directive.directive} ${route.pass.evaluated}`;
  }
  if (route.outcome === 'proxied') return 'proxied, nginx answers itself';
  if (route.status !== verdict.status) return `status ${route.status}, nginx ${verdict.status}`;
  if (verdict.kind === 'redirect') {
    if (route.outcome !== 'redirect' && route.outcome !== 'return') return `outcome ${route.outcome}, nginx redirects`;
    return sameLocation(route.redirectTo, verdict.location, req, port) ? null : `Location ${route.redirectTo}, nginx ${verdict.location}`;
  }
  if (verdict.file) {
    const file = join(site.prefix, verdict.file);
    // The same file, however the path is spelled (nginx opens root + URI, so `//` is common).
    return route.outcome === 'served' && route.file !== undefined && posix.normalize(route.file) === file ? null : `nginx sent the file ${verdict.file}`;
  }
  // A 200 without a file's content is a return's text; any other status looks the same whether a
  // return said so or the static module did (a missing file, a POST on a file).
  if (verdict.status === 200) return route.outcome === 'return' ? null : `outcome ${route.outcome}, nginx answered 200 with no file`;
  return route.outcome === 'served' || route.outcome === 'return' ? null : `outcome ${route.outcome}`;
}

/** Routes every exchange of a site with the engine and lists where it and nginx part. */
export async function compareWithEngine(config: string, site: Site, exchanges: Exchange[]): Promise<Disagreement[]> {
  let router: Router;
  try {
    router = await engineFor(site);
  } catch (error) {
    // One row for the whole config: every request of it disagrees for the same reason.
    const why = `failed to load or parse: ${(error as Error).message}`;
    return [{ config, request: `all ${exchanges.length} requests`, nginx: '-', engine: why, steps: '', count: exchanges.length }];
  }
  const out: Disagreement[] = [];
  for (const x of exchanges) {
    if (!x.verdict) continue;
    let route: Route | null;
    try {
      route = await router(x.request, x.id);
    } catch (error) {
      out.push({ config, request: describeRequest(x.request), nginx: x.verdict.text, engine: `threw: ${(error as Error).message}`, steps: '' });
      continue;
    }
    const why = await disagreement(x.verdict, route, x.request, site);
    if (why) {
      out.push({
        config,
        request: describeRequest(x.request),
        nginx: x.verdict.text,
        engine: route ? `${describeRoute(route, site)} [${why}]` : why,
        steps: route ? route.steps.map((s) => s.text).join(' > ') : '',
      });
    }
  }
  return out;
}

/** A plain-text table of disagreements, one block per request. */
export const requestsIn = (rows: Disagreement[]): number => rows.reduce((n, r) => n + (r.count ?? 1), 0);

export function disagreementTable(rows: Disagreement[]): string {
  return rows.map((r) => `  ${r.config} | ${r.request}\n    nginx:  ${r.nginx}\n    engine: ${r.engine}\n    steps:  ${r.steps || '-'}`).join('\n');
}
