import type { NginxConfig } from './config-types.js';
import { routeRequest } from './route.js';
import type { PathKinds, RequestTarget, Route } from './route-types.js';

/** How many times the box may be asked about paths for one request (each internal redirect may need one); the runner allows a check 6 rounds. */
export const MAX_PATH_ROUNDS = 6;

/**
 * Routes the request, asking the box about the paths try_files and index test, until the route is
 * complete or the rounds run out (then the route says which paths are still unknown).
 */
export async function resolveRoute(
  config: NginxConfig,
  target: RequestTarget,
  ask: (paths: string[]) => Promise<PathKinds>,
  known: PathKinds = {},
): Promise<{ route: Route | null; kinds: PathKinds }> {
  let kinds: PathKinds = known;
  let route = routeRequest(config, target, kinds);
  for (let round = 0; route && route.unknownPaths.length > 0 && round < MAX_PATH_ROUNDS; round++) {
    const answers = await ask(route.unknownPaths);
    const unanswered = route.unknownPaths.filter((p) => answers[p] === undefined);
    // A path the box would not answer for is taken as absent, as nginx takes a path it cannot open.
    kinds = { ...kinds, ...Object.fromEntries(unanswered.map((p) => [p, 'none' as const])), ...answers };
    route = routeRequest(config, target, kinds);
  }
  return { route, kinds };
}
