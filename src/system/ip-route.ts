/**
 * The kernel's own answer to "how would a packet to ADDR leave this box?" (`ip route get ADDR`), and the
 * neighbour (ARP/NDP) entry for an address on a local link (`ip neigh show to ADDR`). Real output in
 * test/fixtures/network/ip-route-get-*.json and ip-neigh-*.json (iproute2 6.1):
 *
 *   10.250.77.2 dev capa77 src 10.250.77.1 uid 0 \n    cache
 *   10.250.91.5 via 10.250.77.2 dev capa77 src 10.250.77.1 uid 0 \n    cache
 *   local 127.0.0.1 dev lo src 127.0.0.1 uid 0 \n    cache <local>
 *   RTNETLINK answers: Network is unreachable    (no route at all; exit 2)
 *   RTNETLINK answers: No route to host          (an "unreachable" route)
 *   RTNETLINK answers: Permission denied         (a "prohibit" route)
 *   RTNETLINK answers: Invalid argument          (a "blackhole" route)
 *   10.250.77.3 dev capa77 INCOMPLETE            (ip neigh: asked, nobody answered)
 */

export type RouteAnswer =
  | { kind: 'local'; dev: string }
  | { kind: 'link'; dev: string; src: string | null }
  | { kind: 'gateway'; via: string; dev: string; src: string | null }
  | { kind: 'none'; reason: 'network-unreachable' | 'unreachable-route' | 'prohibit-route' | 'blackhole-route'; message: string }
  | { kind: 'unknown'; message: string };

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

/** Only an address literal goes to `ip route get`; a name would be an error there. */
export function routeAddress(host: string): string | null {
  const plain = host.replace(/^\[|\]$/g, '');
  if (IPV4.test(plain)) return plain;
  if (plain.includes(':') && IPV6.test(plain)) return plain;
  return null;
}

export function ipRouteGetCommand(address: string): string[] {
  const plain = routeAddress(address);
  if (plain === null) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  return ['ip', 'route', 'get', plain];
}

export function ipNeighCommand(address: string): string[] {
  const plain = routeAddress(address);
  if (plain === null) throw new RangeError(`not an IP address: ${JSON.stringify(address)}`);
  return ['ip', 'neigh', 'show', 'to', plain];
}

const NONE: Record<string, Extract<RouteAnswer, { kind: 'none' }>['reason']> = {
  'Network is unreachable': 'network-unreachable',
  'No route to host': 'unreachable-route',
  'Permission denied': 'prohibit-route',
  'Invalid argument': 'blackhole-route',
};

export function parseIpRouteGet(run: { code: number | null; stdout: string; stderr: string }): RouteAnswer {
  if (run.code !== 0) {
    const message = run.stderr.trim().split('\n')[0] ?? '';
    const m = /^RTNETLINK answers: (.*)$/.exec(message);
    const reason = m ? NONE[m[1]!.trim()] : undefined;
    return reason ? { kind: 'none', reason, message } : { kind: 'unknown', message: message || `exit ${run.code ?? 'none'}` };
  }
  const first = run.stdout.split('\n')[0]?.trim() ?? '';
  const words = first.split(/\s+/);
  const after = (key: string): string | null => {
    const i = words.indexOf(key);
    return i >= 0 && i + 1 < words.length ? (words[i + 1] as string) : null;
  };
  const dev = after('dev');
  if (!dev) return { kind: 'unknown', message: first };
  if (words[0] === 'local') return { kind: 'local', dev };
  const via = after('via');
  const src = after('src');
  return via ? { kind: 'gateway', via, dev, src } : { kind: 'link', dev, src };
}

/** One line for people: how the kernel would send packets to the address. */
export function describeRoute(address: string, answer: RouteAnswer): string {
  switch (answer.kind) {
    case 'local':
      return `${address} is an address of this box (dev ${answer.dev})`;
    case 'link':
      return `${address} is on the local link ${answer.dev}${answer.src ? `, sent from ${answer.src}` : ''}`;
    case 'gateway':
      return `${address} is reached through the gateway ${answer.via} on ${answer.dev}${answer.src ? `, sent from ${answer.src}` : ''}`;
    case 'none':
      return {
        'network-unreachable': `no route covers ${address}, and there is no default route`,
        'unreachable-route': `a route marks ${address} unreachable (ip route ... unreachable)`,
        'prohibit-route': `a route forbids ${address} (ip route ... prohibit)`,
        'blackhole-route': `a blackhole route swallows ${address}`,
      }[answer.reason];
    case 'unknown':
      return `ip route get said: ${answer.message}`;
  }
}

export type NeighState = 'reachable' | 'stale' | 'delay' | 'probe' | 'incomplete' | 'failed' | 'permanent' | 'noarp' | 'none';

/** The neighbour entry's state; 'none' when the kernel holds no entry (it never needed one, or it expired). */
export function parseIpNeigh(stdout: string): { state: NeighState; lladdr: string | null } {
  const line = stdout.split('\n').find((l) => l.trim() !== '');
  if (!line) return { state: 'none', lladdr: null };
  const words = line.trim().split(/\s+/);
  const state = (words.at(-1) ?? '').toLowerCase();
  const i = words.indexOf('lladdr');
  const known: NeighState[] = ['reachable', 'stale', 'delay', 'probe', 'incomplete', 'failed', 'permanent', 'noarp'];
  return { state: known.includes(state as NeighState) ? (state as NeighState) : 'none', lladdr: i >= 0 ? (words[i + 1] ?? null) : null };
}
