import type { Listener, ProcessInfo } from './keys.js';
import type { NginxConfig } from '../nginx/config-types.js';
import { passedPorts } from '../nginx/passed-addresses.js';
import { listenerAccepts } from '../system/ss.js';
import { dialledAddresses } from './addresses.js';

export function processTree(processes: ProcessInfo[], rootPid: number): Set<number> {
  const pids = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (pids.has(p.ppid) && !pids.has(p.pid)) {
        pids.add(p.pid);
        grew = true;
      }
    }
  }
  return pids;
}

export interface Candidates {
  /** Listeners that accept what nginx dials (if any, the backend listens right there). */
  exact: Listener[];
  /** Same port, another address or family: ::1 vs 127.0.0.1, 127.0.0.2, a container's own address. */
  otherAddress: Listener[];
  /** Same reachable address, another port: ranked nearest port first. */
  otherPort: Listener[];
}

const PROCESS_HINTS: Record<string, RegExp> = {
  fastcgi: /php-fpm|php-cgi|fcgi/i,
  uwsgi: /uwsgi/i,
};

/** Something that says whether it holds a value (a Set, or one seen through a filter without copying it). */
export interface Holds<T> {
  has(value: T): boolean;
}

/** Ports some other part of this nginx config already sends requests to: another site's backend (20,000 on a big box, not copied). */
export function portsInUse(config: NginxConfig, except: number): Holds<number> {
  const ports = passedPorts(config);
  return { has: (port) => port !== except && ports.has(port) };
}

/** Where something listens that could be the backend nginx means to reach. nginx's own sockets never count. */
export function findCandidates(host: string, port: number, module: string, listeners: Listener[], nginxPids: Set<number>, taken: Holds<number> = new Set()): Candidates {
  const dialled = dialledAddresses(host);
  const tcp = listeners.filter((l) => l.netid !== 'unix' && l.port !== null && !(l.pid !== null && nginxPids.has(l.pid)) && !/^nginx/.test(l.process ?? '') && !taken.has(l.port));
  const reachable = (l: Listener) => dialled.some((d) => listenerAccepts(l, d));
  const exact = tcp.filter((l) => l.port === port && reachable(l));
  const otherAddress = tcp.filter((l) => l.port === port && !reachable(l));
  const hint = PROCESS_HINTS[module];
  const otherPort = tcp
    .filter((l) => l.port !== port && reachable(l))
    .sort((a, b) => {
      const byHint = hint ? Number(hint.test(b.process ?? '')) - Number(hint.test(a.process ?? '')) : 0;
      return byHint || Math.abs((a.port as number) - port) - Math.abs((b.port as number) - port);
    });
  return { exact, otherAddress, otherPort };
}

export function describeListener(l: Listener): string {
  const where = l.netid === 'unix' ? l.path : `${l.address}:${l.port}`;
  return `${where} ${l.process ?? '(owner not shown)'}${l.pid ? ` pid ${l.pid}` : ''}`;
}
