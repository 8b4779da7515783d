/** The cause ids of DESIGN.md (contract): every fix node names one, and --json reports it. */
export const CAUSES = [
  'backend-down',
  'wrong-port',
  'bind-address-mismatch',
  'socket-missing',
  'socket-permission',
  'socket-tcp-mismatch',
  'backend-crashed',
  'invalid-response',
  'protocol-mismatch',
  'header-too-big',
  'read-timeout',
  'connect-timeout',
  'no-route',
  'upstream-tls',
  'upstream-keepalive',
  'stale-dns',
  'no-live-upstreams',
  'selinux',
  'worker-limits',
  'upstream-returned-502',
  'backend-hung',
  'backend-saturated',
  'no-resolver',
  'unknown',
] as const;

export type Cause = (typeof CAUSES)[number];
