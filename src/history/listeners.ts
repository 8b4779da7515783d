import type { Listener } from '../facts/keys.js';

/** The names of the processes that listen now at a server as nginx's line names it ("127.0.0.1:8000", "unix:/run/app.sock"). */
export function namesListeningAt(server: string, listeners: readonly Listener[]): string[] {
  const socket = server.startsWith('unix:') ? server.slice(5) : null;
  const port = socket === null ? Number(/:(\d+)$/.exec(server)?.[1] ?? Number.NaN) : null;
  const at = listeners.filter((l) => (socket !== null ? l.netid === 'unix' && l.path === socket : l.netid !== 'unix' && l.port === port));
  return [...new Set(at.map((l) => l.process).filter((p): p is string => p !== null))];
}
