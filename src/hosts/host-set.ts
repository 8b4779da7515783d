import { IP_ADDR, isOwnAddress, parseIpAddr, type BoxAddress } from '../system/ip-addr.js';
import { CommandCache } from '../runner/command-cache.js';
import type { Host } from './host.js';

/** A host of the session and the part it plays: `proxy` runs nginx; any other role is a backend's box. */
export interface SessionHost {
  role: string;
  host: Host;
}

/** Asked when nginx dials an address no host of the session owns: which host's view to use, or none. */
export type BackendChooser = (address: string, hosts: SessionHost[]) => Promise<SessionHost | null>;

/**
 * The hosts of a session. Commands about nginx run on the proxy; commands about the backend's own box
 * run on the host that owns the address nginx dials (the proxy itself when the backend is local).
 */
export class HostSet {
  private readonly own = new Map<Host, Promise<BoxAddress[]>>();
  private readonly chosen = new Map<string, Promise<SessionHost | null>>();
  /** What the session's commands answered, shared by its steps (see CommandCache). */
  readonly cache = new CommandCache();

  constructor(
    readonly members: SessionHost[],
    private readonly choose?: BackendChooser,
  ) {
    if (!members.some((m) => m.role === 'proxy')) throw new Error('a session needs a proxy host (where nginx runs)');
  }

  get proxy(): Host {
    return (this.members.find((m) => m.role === 'proxy') as SessionHost).host;
  }

  /** The addresses a host has, asked once: `ip -o addr show` on that host. */
  addressesOf(host: Host): Promise<BoxAddress[]> {
    let known = this.own.get(host);
    if (!known) {
      known = host.run({ argv: IP_ADDR, timeoutMs: 5000 }).then((r) => (r.code === 0 ? parseIpAddr(r.stdout) : []));
      this.own.set(host, known);
    }
    return known;
  }

  /**
   * The host whose own view of `address` counts; null when no host of the session has it. With
   * ask false, never asks the person: null when only they could tell.
   */
  async backendFor(address: string | null, ask = true): Promise<Host | null> {
    if (address === null) return this.proxy;
    const [proxyOwn, ...othersOwn] = await Promise.all([this.addressesOf(this.proxy), ...this.others().map((m) => this.addressesOf(m.host))]);
    if (isOwnAddress(address, proxyOwn ?? [])) return this.proxy;
    const owner = this.others().find((_, i) => isOwnAddress(address, othersOwn[i] ?? []));
    if (owner) return owner.host;
    if (!this.choose || !this.others().length) return null;
    if (!ask && !this.chosen.has(address)) return null;
    let pick = this.chosen.get(address);
    if (!pick) {
      pick = this.choose(address, this.others());
      this.chosen.set(address, pick);
    }
    return (await pick)?.host ?? null;
  }

  /** Asks every host for its addresses now, so the first step that needs them does not wait. */
  warm(): void {
    for (const member of this.members) void this.addressesOf(member.host);
  }

  private others(): SessionHost[] {
    return this.members.filter((m) => m.role !== 'proxy');
  }

  /** The same session with each host wrapped (a recording), keeping how a backend's box is chosen. */
  map(wrap: (member: SessionHost) => Host): HostSet {
    return new HostSet(
      this.members.map((m) => ({ role: m.role, host: wrap(m) })),
      this.choose,
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.host.close()));
  }
}

/** A session of one host: nginx and its backends seen from the same box. */
export function singleHost(host: Host): HostSet {
  return new HostSet([{ role: 'proxy', host }]);
}
