import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { errorLogsFor, routeRequest, type PathKinds, type Route } from '../nginx/route.js';
import { MAX_PATH_ROUNDS } from '../nginx/route-resolve.js';
import { shownCommand } from '../shell/quote.js';
import { parsePathKinds, pathKindsCommand, pathsAsked } from '../system/path-kinds.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';
import { requestTarget, routeOf, upstreamFacts } from '../facts/route.js';

/** A try_files can name thousands of paths; nginx stops at the first that exists, so the first ones matter. */
const MAX_PATHS_PER_ROUND = 256;

/** What the box said of the paths asked so far in this step. */
function kindsFrom(results: readonly CommandResult[]): PathKinds {
  return Object.assign({}, ...results.map((r) => parsePathKinds(pathsAsked(r.argv), r.code === 0 ? r.stdout : '')));
}

const at = (file: string | undefined, line: number | undefined) => (file ? ` (${file}:${line})` : '');

/** The trail a person reads: each thing nginx does with the request, where the config says so. */
export function routeTrail(route: Route): string[] {
  return [...route.steps.map((step) => `${step.text}${at(step.file, step.line)}`), ...route.undecided.map((note) => `cannot be decided from the request: ${note}`)];
}

/** Which server{} and location{} the failing request hits in nginx's config, following every rewrite and internal redirect, and where it sends it. */
export const nginxRoute = defineCheck({
  id: 'nginx.route',
  guide: 'upstream-config',
  outcomes: ['proxied', 'not-proxied', 'unresolved', 'no-server'],
  needs: ['nginx.config', 'nginx.prefix', 'nginx.defaultErrorLog', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  learns: ['route.pathKinds'],
  learnsOn: {
    proxied: [
      'route.server',
      'route.serverName',
      'route.location',
      'route.locationMatch',
      'route.errorLog',
      'upstream.module',
      'upstream.scheme',
      'upstream.target',
      'upstream.kind',
      'upstream.place',
    ],
  },

  /** try_files, index and `if (-f ...)` test paths on the box: ask for the ones the route needs, a round per internal redirect at most. */
  plan(facts, done) {
    if (done.length >= MAX_PATH_ROUNDS) return [];
    const kinds = kindsFrom(done);
    const route = routeRequest(need(facts, 'nginx.config'), requestTarget(facts), kinds, need(facts, 'nginx.prefix'));
    const unknown = (route?.unknownPaths ?? []).slice(0, MAX_PATHS_PER_ROUND);
    return unknown.length ? [pathKindsCommand(unknown, facts['nginx.workerUser'] ?? '')] : [];
  },

  interpret(facts, results) {
    const config = need(facts, 'nginx.config');
    const url = need(facts, 'request.url');
    const pathKinds = kindsFrom(results);
    const route = routeOf({ ...facts, 'route.pathKinds': pathKinds });
    if (!route) {
      return {
        outcome: 'no-server',
        facts: { 'route.pathKinds': pathKinds },
        summary: `no server{} in the config listens on port ${facts['request.port']}`,
        evidence: [{ lines: ['no listen directive matches this port'] }],
      };
    }
    const trail = routeTrail(route);
    const asked = results.map((r) => ({
      command: shownCommand(r.argv),
      lines: Object.entries(parsePathKinds(pathsAsked(r.argv), r.code === 0 ? r.stdout : '')).map(([p, k]) => `${p}: ${k === 'none' ? 'absent' : k === 'dir' ? 'a directory' : 'exists'}`),
      note: 'what try_files and index look for, tested as nginx tests them',
    }));
    const evidence = (lines: string[]) => [{ lines: [...trail, ...lines] }, ...asked];
    if (route.outcome === 'undecided' || route.pass?.unresolved) {
      const why = route.pass?.unresolved
        ? `${route.pass.directive.directive} ${route.pass.unresolved}`
        : route.unknownPaths.length
          ? `the box did not say what is at ${route.unknownPaths.join(', ')}`
          : (route.undecided[0] ?? 'the request alone does not decide it');
      return { outcome: 'unresolved', facts: { 'route.pathKinds': pathKinds }, summary: `cannot tell where nginx sends ${url}: ${why}`, evidence: evidence([]) };
    }
    if (!route.pass) {
      const answer =
        route.outcome === 'redirect'
          ? `redirects it (${route.status} to ${route.redirectTo})`
          : route.outcome === 'served'
            ? `serves it itself (${route.status}${route.file ? `, ${route.file}` : ''})`
            : `answers ${route.status} itself`;
      const last = route.steps.at(-1);
      return { outcome: 'not-proxied', facts: { 'route.pathKinds': pathKinds }, summary: `${url} is not sent to a backend: nginx ${answer}${at(last?.file, last?.line)}`, evidence: evidence([]) };
    }
    const first = route.pass.servers[0];
    if (!first) {
      return {
        outcome: 'unresolved',
        facts: { 'route.pathKinds': pathKinds },
        summary: `cannot tell where ${route.pass.directive.directive} ${route.pass.evaluated} sends the request`,
        evidence: evidence(['no server address']),
      };
    }
    const logs = errorLogsFor(config, route, need(facts, 'nginx.prefix')).filter((l) => l.startsWith('/'));
    const errorLog = logs[0] ?? need(facts, 'nginx.defaultErrorLog');
    const serverPlace = { file: route.server.file, line: route.server.line };
    const learned: KnownFacts = {
      'route.pathKinds': pathKinds,
      'route.server': serverPlace,
      'route.serverName': route.serverName,
      'route.location': route.location ? { file: route.location.file, line: route.location.line } : serverPlace,
      'route.locationMatch': route.locationMatch,
      'route.errorLog': errorLog,
      'upstream.module': route.pass.module,
      'upstream.scheme': route.pass.scheme,
      ...upstreamFacts(first),
    };
    if (route.pass.group) learned['upstream.group'] = route.pass.group;
    return {
      outcome: 'proxied',
      facts: learned,
      summary: `${route.locationMatch} sends it to ${first.target}${route.pass.group ? ` (upstream ${route.pass.group})` : ''}`,
      evidence: evidence([...route.pass.servers.map((s) => `  server ${s.target}${s.params.length ? ` ${s.params.join(' ')}` : ''} (${s.file}:${s.line})`), `its errors go to ${errorLog}`]),
    };
  },
});
