import { backendConfig } from './backend-config.js';
import { backendListening } from './backend-listening.js';
import { backendTiming } from './backend-timing.js';
import type { Check } from './check.js';
import { errorLog } from './error-log.js';
import { nginxConfig } from './nginx-config.js';
import { nginxFind } from './nginx-find.js';
import { nginxRoute } from './nginx-route.js';
import { requestFind } from './request-find.js';
import { serviceManager } from './service-manager.js';
import { socketState } from './socket-state.js';
import { upstreamDns } from './upstream-dns.js';
import { upstreamKind } from './upstream-kind.js';
import { backendDirect } from './backend-direct.js';
import { fastcgiTimeouts } from './fastcgi-timeouts.js';
import { fpmSaturation } from './fpm-saturation.js';
import { backendSettings } from './backend-settings.js';
import { headerSize } from './header-size.js';
import { selinuxState } from './selinux-state.js';
import { workerLimits } from './worker-limits.js';
import { backendReach } from './backend-reach.js';
import { dnsLookup } from './dns-lookup.js';
import { socketQueue } from './socket-queue.js';
import { upstreamServers } from './upstream-group.js';
import { upstreamTlsCheck } from './upstream-tls.js';
import { backendCrash } from './backend-crash.js';
import { backendProtocol } from './backend-protocol.js';
import { backendForwarder } from './backend-forwarder.js';
import { backendResponse } from './backend-response.js';
import { upstreamKeepalive } from './upstream-keepalive.js';
import { historyRead } from './history-read.js';
import { historyOver } from './history-over.js';

/** Every check. Flows name them by id; src/catalog.ts pairs them with the fix planners. */
const ALL_CHECKS: readonly Check[] = [
  nginxFind,
  nginxConfig,
  requestFind,
  nginxRoute,
  errorLog,
  upstreamKind,
  backendListening,
  socketState,
  backendTiming,
  backendConfig,
  serviceManager,
  upstreamDns,
  headerSize,
  workerLimits,
  selinuxState,
  backendDirect,
  fastcgiTimeouts,
  fpmSaturation,
  backendSettings,
  backendReach,
  socketQueue,
  upstreamTlsCheck,
  upstreamServers,
  dnsLookup,
  backendForwarder,
  backendProtocol,
  upstreamKeepalive,
  backendCrash,
  backendResponse,
  historyRead,
  historyOver,
];

export const CHECKS: Readonly<Record<string, Check>> = Object.fromEntries(ALL_CHECKS.map((check) => [check.id, check]));

export function checkById(id: string): Check {
  const check = CHECKS[id];
  if (!check) throw new Error(`no check ${id}`);
  return check;
}
