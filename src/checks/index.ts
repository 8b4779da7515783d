import type { Catalog } from '../flow/lint.js';
import { PLANNERS } from '../fixes/planners/index.js';
import { backendListening } from './backend-listening.js';
import { backendTiming } from './backend-timing.js';
import type { Check } from './check.js';
import { errorLog } from './error-log.js';
import { nginxConfig } from './nginx-config.js';
import { nginxFind } from './nginx-find.js';
import { nginxRoute } from './nginx-route.js';
import { requestFind } from './request-find.js';
import { socketState } from './socket-state.js';
import { upstreamKind } from './upstream-kind.js';

export const CHECKS: Readonly<Record<string, Check>> = Object.fromEntries(
  [nginxFind, nginxConfig, requestFind, nginxRoute, errorLog, upstreamKind, backendListening, socketState, backendTiming].map((check) => [check.id, check]),
);

export function checkById(id: string): Check {
  const check = CHECKS[id];
  if (!check) throw new Error(`no check ${id}`);
  return check;
}

export const CATALOG: Catalog = { checks: CHECKS, planners: PLANNERS };
