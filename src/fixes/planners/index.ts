import type { Planner } from '../plan.js';
import { CLOSED_PLANNERS } from './closed.js';
import { CONNECTION_PLANNERS } from './connection.js';
import { CRASH_PLANNERS } from './crashes.js';
import { CONTAINER_PLANNERS } from './containers.js';
import { DNS_PLANNERS } from './dns.js';
import { HUNG_PLANNERS } from './hung.js';
import { LIMITS_PLANNERS } from './limits.js';
import { NETWORK_PLANNERS } from './network.js';
import { PASSTHROUGH_PLANNERS } from './passthrough.js';
import { SATURATION_PLANNERS } from './saturation.js';
import { SELINUX_PLANNERS } from './selinux.js';
import { TLS_PLANNERS } from './tls.js';
import { SOCKET_PLANNERS } from './sockets.js';

/** Every fix planner by the name flows use in `plan:`. Each group of causes keeps its planners in its own file. */
export const PLANNERS: Readonly<Record<string, Planner>> = {
  ...CONNECTION_PLANNERS,
  ...SOCKET_PLANNERS,
  ...DNS_PLANNERS,
  ...LIMITS_PLANNERS,
  ...SELINUX_PLANNERS,
  ...PASSTHROUGH_PLANNERS,
  ...NETWORK_PLANNERS,
  ...TLS_PLANNERS,
  ...CLOSED_PLANNERS,
  ...CRASH_PLANNERS,
  ...CONTAINER_PLANNERS,
  ...HUNG_PLANNERS,
  ...SATURATION_PLANNERS,
};
