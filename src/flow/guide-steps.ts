/** The steps of the usual 502 troubleshooting guides (../shared/seeds): every check names the one it belongs to. */
export const GUIDE_STEPS = {
  'error-log': 'Read the error log first',
  'backend-running': 'Check that the backend is running (and answers when asked directly)',
  'upstream-config': 'Verify the upstream configuration (address, port, socket, protocol)',
  'socket-permissions': 'Check the unix socket and its permissions',
  timeouts: 'Connection refused vs timed out, and the timeout settings',
  buffers: 'Buffer sizes for response headers',
  dns: 'DNS resolution of the upstream name',
  tls: 'TLS between nginx and an https upstream',
  selinux: 'SELinux and other security policies',
  'worker-limits': 'Worker connections and open-file limits',
  containers: 'Containers: the backend runs in docker',
} as const;

export type GuideStep = keyof typeof GUIDE_STEPS;
