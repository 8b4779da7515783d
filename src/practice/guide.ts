/**
 * The steps of the usual 502 troubleshooting guides (../shared/seeds), and which of them each check of
 * the flow belongs to, so practice can say "review: Check the error log" for a step the learner missed.
 */

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

/** The guide's step for each check of the flow (src/checks). */
export const GUIDE_STEP_OF_CHECK: Record<string, GuideStep> = {
  'nginx.find': 'upstream-config',
  'nginx.config': 'upstream-config',
  'request.find': 'error-log',
  'nginx.route': 'upstream-config',
  'nginx.error-log': 'error-log',
  'upstream.kind': 'upstream-config',
  'backend.listening': 'backend-running',
  'backend.config': 'upstream-config',
  'service.manager': 'backend-running',
  'socket.state': 'socket-permissions',
  'socket.queue': 'backend-running',
  'upstream.dns': 'dns',
  'dns.lookup': 'dns',
  'backend.timing': 'timeouts',
  'fastcgi.timeouts': 'timeouts',
  'backend.header-size': 'buffers',
  'nginx.worker-limits': 'worker-limits',
  'selinux.state': 'selinux',
  'backend.direct': 'backend-running',
  'backend.reach': 'timeouts',
  'backend.protocol': 'upstream-config',
  'upstream.keepalive': 'timeouts',
  'backend.crash': 'backend-running',
  'backend.response': 'backend-running',
  'upstream.tls': 'tls',
  'upstream.servers': 'upstream-config',
};

/** The guide step a check's result teaches; a backend found running in docker points at containers. */
export function guideStepFor(check: string, outcome?: string): { id: GuideStep; title: string } {
  const id: GuideStep = outcome === 'docker' ? 'containers' : (GUIDE_STEP_OF_CHECK[check] ?? 'error-log');
  return { id, title: GUIDE_STEPS[id] };
}
