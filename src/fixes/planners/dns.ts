import { need } from '../../facts/need.js';
import { testAndReload } from '../nginx-edit.js';
import type { FixPlan, Planner } from '../plan.js';

/** nginx 1.27.3 brought `server NAME resolve;` in upstream{} to open-source nginx (with a resolver and a zone). */
function hasUpstreamResolve(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && (minor > 27 || (minor === 27 && patch >= 3)));
}

/** nginx still dials the address a name had when it loaded: a reload resolves it again. */
const staleDns: Planner = {
  needs: ['upstream.host', 'upstream.place', 'dns.now', 'dns.used', 'nginx.version', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const host = need(facts, 'upstream.host');
    const now = need(facts, 'dns.now');
    const place = need(facts, 'upstream.place');
    const version = need(facts, 'nginx.version');
    const durable = hasUpstreamResolve(version)
      ? `To follow the name from now on: in the upstream block, write the server as "server ${host}:PORT resolve;", add "zone NAME 64k;" to the block and a "resolver" line (your DNS server) in http{}; nginx ${version} supports it.`
      : `To follow the name from now on, nginx ${version} needs a variable: add "resolver ADDRESS valid=30s;" (your DNS server) and write "set $backend ${host};" before proxy_pass, using $backend in it (${place.file}:${place.line}); nginx then resolves the name at request time. From nginx 1.27.3 an upstream server can take the "resolve" parameter instead.`;
    return {
      commands: testAndReload(facts),
      edits: [],
      notes: [
        `The reload makes nginx resolve ${host} again (${now}); requests work at once.`,
        durable,
        "nginx's resolver asks DNS servers only: a name that exists only in /etc/hosts cannot be followed this way, so keep the reload in the deploy step that changes the address.",
      ],
    };
  },
};

export const DNS_PLANNERS: Record<string, Planner> = {
  'stale-dns': staleDns,
};
