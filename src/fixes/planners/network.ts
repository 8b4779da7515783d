import { need } from '../../facts/need.js';
import { parseNginxTime } from '../../nginx/time.js';
import type { GroupServer, KnownFacts } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import { tcpProbeLine } from '../../system/tcp-probe.js';
import { directiveAt, directiveText, testAndReload } from '../nginx-edit.js';
import type { ConfigEdit, FixPlan, Planner } from '../plan.js';

function hostAndPort(address: string): { host: string; port: string } {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  return m ? { host: m[1] as string, port: m[2] as string } : { host: address, port: '' };
}

function timeoutLine(facts: KnownFacts): string {
  const name = need(facts, 'timeout.directive');
  const ms = need(facts, 'timeout.currentMs');
  const place = facts['timeout.place'];
  return `${name} is ${ms / 1000}s ${place ? `(${place.file}:${place.line})` : "(nginx's default)"}`;
}

function localRules(facts: KnownFacts): string[] {
  const rules = need(facts, 'reach.blocking');
  return rules.length
    ? [
        `This box's own firewall names the backend: ${rules.join('; ')}. A drop or reject in an output chain stops nginx before the packet leaves; find the rule's handle with "nft -a list ruleset" and remove it with "nft delete rule FAMILY TABLE CHAIN handle N", or add an accept rule before it.`,
      ]
    : [];
}

/** The backend box's own firewall, when the session had that box and its ruleset names the backend. */
function backendRules(facts: KnownFacts): string[] {
  const rules = facts['reach.backendBlocking'] ?? [];
  return rules.length ? [`The backend's own box has these rules for it (nft list ruleset there): ${rules.join('; ')}.`] : [];
}

/** Packets to the backend are dropped on the way: the fix is a firewall rule, on the backend host or between. */
const firewallPath: Planner = {
  needs: ['reach.address', 'reach.route', 'reach.blocking', 'timeout.directive', 'timeout.currentMs'],
  plan(facts): FixPlan {
    const { host, port } = hostAndPort(need(facts, 'reach.address'));
    const source = facts['reach.source'] ?? "this box's address";
    const saddr = facts['reach.source'] ? `ip saddr ${facts['reach.source']} ` : '';
    const neighbour = facts['reach.neighbour'];
    const viaGateway = need(facts, 'reach.route').includes('through the gateway');
    const answered = neighbour === 'reachable' || neighbour === 'stale' || neighbour === 'delay' || neighbour === 'permanent';
    const who: string[] = [];
    if (neighbour === 'failed' || neighbour === 'incomplete') {
      who.push(
        viaGateway
          ? `The gateway does not answer ARP (neighbour state ${neighbour}): this box's own network is down. Check the link and the gateway first.`
          : `Nobody on the local link answers ARP for ${host} (neighbour state ${neighbour}): no host uses that address now. Check that the backend host is up and still has this address; if it moved, point nginx at the new one. A firewall is unlikely here.`,
      );
    } else if (answered) {
      who.push(
        viaGateway
          ? `The gateway answers (neighbour state ${neighbour}), so packets leave this box; they are dropped further on: by a firewall on the way or on the backend host, or the host is down.`
          : `${host} answers ARP (neighbour state ${neighbour}), so the host is up on the local link: a firewall drops the connection.`,
      );
    }
    return {
      commands: [],
      edits: [],
      notes: [
        ...who,
        ...backendRules(facts),
        `On the backend host ${host}, list its firewall: "nft list ruleset" (or "iptables -S" / "iptables -L -n -v" on older boxes). Look for a rule that drops TCP port ${port}, or a chain with "policy drop" that has no accept rule for it.`,
        `Allow this box in, before the dropping rule, for example: nft insert rule inet filter input ${saddr}tcp dport ${port} accept (use the table and chain names the listing shows; make it permanent in /etc/nftables.conf). Connections come from ${source}.`,
        ...localRules(facts),
        'If the two hosts are in a cloud, check the security group or network ACL between them too: they drop packets the same way, without an answer.',
        `${timeoutLine(facts)}. A connect on a working network takes milliseconds, so a longer timeout would only make visitors wait longer for the same 502. Keep it short (a few seconds): with several servers in an upstream group nginx then moves on to the next one quickly.`,
        `Check it from this box: ${tcpProbeLine(host, Number(port), 3)}`,
      ],
    };
  },
};

/** The backend takes connections more slowly than they come: its queue fills and the kernel drops the rest. */
const backendOverload: Planner = {
  needs: ['reach.address', 'timeout.directive', 'timeout.currentMs'],
  plan(facts): FixPlan {
    const queue = facts['reach.queue'];
    return {
      commands: [],
      edits: [],
      notes: [
        ...(queue ? [`Accept queue now: ${queue}.`] : [`${need(facts, 'reach.address')} accepts connections, but more slowly than ${timeoutLine(facts)}.`]),
        'The backend does not accept new connections fast enough: all of its workers are busy. Find out why (slow requests, a slow database, too few workers) in its own log and status page.',
        'Give it more workers if the box has the memory (php-fpm: pm.max_children in the pool; gunicorn/uwsgi: workers/processes), and a longer listen queue so bursts wait instead of failing (php-fpm: listen.backlog; others: their backlog setting; the kernel caps it at net.core.somaxconn).',
        `Raising ${need(facts, 'timeout.directive')} only makes visitors wait in the queue longer; it does not add capacity.`,
      ],
    };
  },
};

/** The kernel says there is no way to the backend host, or the host (or a firewall) says so with ICMP. */
const networkRoute: Planner = {
  needs: ['reach.address', 'reach.route', 'reach.probe', 'reach.blocking'],
  plan(facts): FixPlan {
    const { host, port } = hostAndPort(need(facts, 'reach.address'));
    const route = need(facts, 'reach.route');
    const neighbour = facts['reach.neighbour'];
    const notes: string[] = [`Route: ${route}.`];
    if (/no route covers|unreachable \(ip route|forbids|blackhole/.test(route)) {
      notes.push(
        `This box has no usable route to ${host}. Check the address in nginx's config first (a typo, or an address of an old network). If it is right, add the route the network needs (ip route add NETWORK/PREFIX via GATEWAY) or restore the default route, and make it permanent in the network configuration (/etc/network/interfaces, netplan, NetworkManager).`,
      );
    } else if (neighbour === 'failed' || neighbour === 'incomplete') {
      notes.push(
        `Nobody on the local link answers ARP for the next hop (neighbour state ${neighbour}): the host at ${host} is down, unplugged, or now has another address. Start it or find its new address from its console (ip addr), then point nginx at it.`,
      );
    } else {
      notes.push(
        `The route is fine, so the "No route to host" came back from the other side: the backend host (or a firewall between) rejects the connection with an ICMP host-prohibited or host-unreachable message. On ${host}, list its firewall: "nft list ruleset" or "iptables -S". The classic rule is "-A INPUT -j REJECT --reject-with icmp-host-prohibited" at the end of the INPUT chain (RHEL, CentOS, Rocky): allow TCP port ${port} from this box before it.`,
      );
    }
    notes.push(...localRules(facts));
    notes.push(`Check it from this box: ${commandLine(['ip', 'route', 'get', host], 'person')}; ${tcpProbeLine(host, Number(port), 5)}`);
    return { commands: [], edits: [], notes };
  },
};

/** The server line without its "down" parameter, from the directive as written. */
function bringBack(facts: KnownFacts, s: GroupServer): ConfigEdit | null {
  // Several servers may share a line: the one with exactly these parameters.
  const d = directiveAt(facts, s.place, (x) => x.directive === 'server' && [s.target, `${s.target.replace(/:80$/, '')}`].includes(x.args[0] ?? '') && x.args.slice(1).join(' ') === s.params.join(' '));
  if (!d) return null;
  return {
    file: s.place.file,
    line: s.place.line,
    before: directiveText(d.directive, d.args),
    after: directiveText(
      d.directive,
      d.args.filter((a) => a !== 'down'),
    ),
    why: `"down" takes ${s.target} out of the group`,
  };
}

/** nginx marked every server of the group failed: bring them back, and make the group tolerate one failing. */
const upstreamGroup: Planner = {
  needs: ['group.servers', 'nginx.config', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const servers = need(facts, 'group.servers');
    const edits = servers.filter((s) => s.down).flatMap((s) => bringBack(facts, s) ?? []);
    const failing = servers.filter((s) => !s.down && !['open', 'listening'].includes(s.probe));
    const notes: string[] = failing.map((s) =>
      `Bring ${s.target} back: it is ${s.probe} now${s.lastError ? ` (nginx logged: ${s.lastError})` : ''}. ${s.probe === 'refused' || s.probe === 'not-listening' ? 'Nothing listens there: start the backend.' : s.probe === 'timeout' ? 'Connecting times out: a firewall or a dead host.' : ''}`.trim(),
    );
    const timeouts = servers.map((s) => parseNginxTime(s.failTimeout) ?? 10_000);
    const longest = Math.max(...timeouts) / 1000;
    notes.push(
      `nginx counts a server as failed after max_fails errors within fail_timeout, then sends it nothing for fail_timeout (here up to ${longest}s), and when every server is out it answers "no live upstreams" at once. Once a server is back, nginx tries it again after fail_timeout; a reload tries all of them at once.`,
      'A single error (one slow restart, one deploy) should not empty the group: keep max_fails above 1 for bursts (max_fails=3 fail_timeout=10s), add a server marked "backup" that takes traffic only when the others are out, and let proxy_next_upstream retry another server on error and timeout.',
    );
    if (servers.some((s) => s.maxFails === 0)) notes.push('A server with max_fails=0 is never marked failed; nginx keeps trying it.');
    return { commands: edits.length ? testAndReload(facts) : [], edits, notes };
  },
};

export const NETWORK_PLANNERS: Record<string, Planner> = {
  'firewall-path': firewallPath,
  'backend-overload': backendOverload,
  'network-route': networkRoute,
  'upstream-group': upstreamGroup,
};
