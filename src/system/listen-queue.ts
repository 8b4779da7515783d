import type { Listener } from '../facts/keys.js';
import { listenerAccepts, parseSs } from './ss.js';

/**
 * The accept queue of each listening socket, from `ss -Hlntx`. For a LISTEN row ss shows in Recv-Q the
 * connections the kernel has accepted that the program has not taken yet, and in Send-Q the queue's
 * size (the backlog passed to listen(), capped by net.core.somaxconn). Real output
 * (test/fixtures/network/ss-listen-queues.json):
 *
 *   u_str LISTEN 2      1         /tmp/netcap/q/full.sock 94045       * 0
 *   tcp   LISTEN 3      2                       127.0.0.1:9100  0.0.0.0:*
 *
 * The kernel refuses a new connection once Recv-Q is above Send-Q: a TCP SYN is dropped (the client
 * retries, then times out), a unix connect() fails at once with EAGAIN (11).
 */
export const SS_QUEUES = ['ss', '-Hlntx'];

export interface ListenQueue {
  listener: Listener;
  queued: number;
  backlog: number;
  full: boolean;
}

export function parseListenQueues(stdout: string): ListenQueue[] {
  const out: ListenQueue[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(?:\S+\s+)?LISTEN\s+(\d+)\s+(\d+)\s/.exec(line);
    if (!m) continue;
    const listener = parseSs(line)[0];
    if (!listener) continue;
    const queued = Number(m[1]);
    const backlog = Number(m[2]);
    out.push({ listener, queued, backlog, full: queued > backlog });
  }
  return out;
}

/** The listener that takes connections to this address: a unix path, or a TCP ip:port. */
export function queueFor(queues: ListenQueue[], target: { socket: string } | { ip: string; port: number }): ListenQueue | null {
  if ('socket' in target) return queues.find((q) => q.listener.netid === 'unix' && q.listener.path === target.socket) ?? null;
  // A specific address wins over a wildcard one, as in the kernel.
  const matching = queues.filter((q) => q.listener.netid !== 'unix' && q.listener.port === target.port && listenerAccepts(q.listener, target.ip));
  return matching.find((q) => !['0.0.0.0', '::', '*'].includes(q.listener.address)) ?? matching[0] ?? null;
}

export function describeQueue(q: ListenQueue): string {
  const where = q.listener.netid === 'unix' ? q.listener.path : `${q.listener.address.includes(':') ? `[${q.listener.address}]` : q.listener.address}:${q.listener.port}`;
  return `${where}: ${q.queued} connection(s) waiting to be accepted, queue size ${q.backlog}${q.full ? ' (full: new connections are refused)' : ''}`;
}
