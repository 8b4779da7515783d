import type { Listener } from '../facts/keys.js';
import type { ProcessAge } from '../system/backend-logs.js';
import type { BackendEvent } from './types.js';

/** Whether a server as nginx's line names it is where this listener listens (by port for TCP, by path for a socket). */
export function listensAt(server: string, listener: Listener): boolean {
  if (server.startsWith('unix:')) return listener.netid === 'unix' && listener.path === server.slice(5);
  const port = Number(/:(\d+)$/.exec(server)?.[1] ?? Number.NaN);
  return listener.netid !== 'unix' && listener.port === port;
}

/**
 * Whether this box would show a listener at a TCP server nginx names ("127.0.0.1:8002"): a loopback address,
 * or one a listener here binds. Only then does "nothing listens there now" mean the server is still down.
 */
export function isOnThisBox(server: string, listeners: readonly Listener[]): boolean {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(server);
  if (!m || server.startsWith('unix:')) return false;
  const host = m[1] as string;
  return /^127\./.test(host) || host === '::1' || host === 'localhost' || listeners.some((l) => l.netid !== 'unix' && l.address === host);
}

/**
 * When the processes listening now started (`ps -eo pid=,ppid=,etimes=,args=`, the box's clock now): the
 * topmost process holding each listening socket, as a 'restart' event of that socket's address. A backend
 * started again by hand or by a deploy shows up here even when no log says so.
 */
export function processStarts(listeners: readonly Listener[], ages: readonly ProcessAge[], nowMs: number): BackendEvent[] {
  const out: BackendEvent[] = [];
  for (const l of listeners) {
    const pids = new Set(l.pids ?? (l.pid !== null ? [l.pid] : []));
    const holders = ages.filter((p) => pids.has(p.pid));
    const top = holders.find((p) => !pids.has(p.ppid));
    if (!top) continue;
    const server = l.netid === 'unix' ? `unix:${l.path}` : `${l.address}:${l.port}`;
    if (out.some((e) => e.server === server)) continue;
    const time = nowMs - top.seconds * 1000;
    out.push({ time, kind: 'restart', source: 'ps', line: `pid ${top.pid} started ${new Date(time).toISOString().slice(0, 19).replace('T', ' ')}: ${top.args}`, server });
  }
  return out;
}
