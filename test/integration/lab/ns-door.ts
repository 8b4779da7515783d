import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Netns } from './netns.js';
import type { Sshd } from './sshd.js';

export interface Door {
  /** The loopback port of this machine that leads into the namespace's sshd. */
  port: number;
  close: () => Promise<void>;
}

/**
 * An SSH door into a namespace for code running outside it (an in-process wizard test): each connection
 * to 127.0.0.1:port of this machine becomes `sshd -i` (inetd mode, one session on stdin/stdout) started
 * inside the namespace with that sshd's config and host keys. Traffic stays on loopback; commands of the
 * session run in the namespace.
 */
export async function sshdDoor(ns: Netns, sshd: Pick<Sshd, 'dir'>): Promise<Door> {
  const children = new Set<ChildProcess>();
  const argv = ns.exec(['/usr/sbin/sshd', '-i', '-e', '-f', join(sshd.dir, 'sshd_config')]);
  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    // The socket itself becomes sshd's stdin and stdout (duplicated into the child).
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: [socket, socket, 'ignore'] });
    children.add(child);
    child.once('exit', () => {
      children.delete(child);
      socket.destroy();
    });
    socket.once('close', () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the door has no port');
  return {
    port: address.port,
    async close() {
      // Sessions first: the server closes only once their sockets are gone.
      const exited = [...children].map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
      for (const child of children) {
        try {
          if (child.pid) process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await Promise.all(exited);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
