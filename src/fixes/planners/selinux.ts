import { need } from '../../facts/need.js';
import { BOOLEAN } from '../../system/selinux.js';
import type { FixPlan, Planner } from '../plan.js';

/** Let nginx (httpd_t) connect out: the boolean for any port, or a label for one port. */
const selinuxAllowConnect: Planner = {
  needs: ['selinux.boolean', 'upstream.port'],
  plan(facts): FixPlan {
    const port = need(facts, 'upstream.port');
    const narrow = `Narrower: allow only this port by labelling it for web services, "semanage port -a -t http_port_t -p tcp ${port}" (use -m instead of -a when "semanage port -l" already lists ${port} under another type). RHEL-family policies let nginx connect to http_port_t ports without the boolean.`;
    const commands =
      need(facts, 'selinux.boolean') === 'on' ? [] : [{ argv: ['setsebool', '-P', BOOLEAN, '1'], why: 'let nginx (httpd_t) connect to any TCP port; -P keeps it after a reboot', durable: true }];
    return {
      commands,
      edits: [],
      notes: [
        ...(commands.length ? [] : [`${BOOLEAN} is already on, yet SELinux denied the connection: read the denial with "ausearch -m avc -ts recent | audit2why".`]),
        narrow,
        'Do not switch SELinux to permissive to get past this: that turns off every rule, not this one.',
      ],
    };
  },
};

export const SELINUX_PLANNERS: Record<string, Planner> = {
  'selinux-allow-connect': selinuxAllowConnect,
};
