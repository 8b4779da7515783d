import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP relay on loopback that holds every chunk `delayMs` before passing it on, in each direction. */
export interface Relay {
  port: number;
  /** Change the delay for chunks that arrive from now on (connections already open included). */
  setDelay: (ms: number) => void;
  close: () => Promise<void>;
}

/**
 * Forwards `from` to `to`, each chunk `delay()` ms after it arrived, in arrival order; the end of the
 * stream follows the last chunk. One timer per direction drains the queue, so order never depends on
 * timer ordering.
 */
function pipeDelayed(from: Socket, to: Socket, delay: () => number): void {
  const queue: { due: number; chunk: Buffer | null }[] = [];
  let timer: NodeJS.Timeout | null = null;
  const drain = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && (queue[0] as { due: number }).due <= now) {
      const { chunk } = queue.shift() as { chunk: Buffer | null };
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) timer = setTimeout(drain, Math.max(0, (queue[0] as { due: number }).due - performance.now()));
  };
  const push = (chunk: Buffer | null) => {
    const ms = delay();
    if (ms <= 0 && queue.length === 0) {
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
      return;
    }
    queue.push({ due: performance.now() + ms, chunk });
    if (!timer) timer = setTimeout(drain, Math.max(0, (queue[0] as { due: number }).due - performance.now()));
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(null));
}

/** Starts a relay on a free 127.0.0.1 port to target host:port. */
export function startRelay(targetHost: string, targetPort: number, delayMs = 0): Promise<Relay> {
  let delay = delayMs;
  const open = new Set<Socket>();
  // Half-open sockets: one side's end must not cut off what is still queued for it.
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: targetHost, port: targetPort, noDelay: true, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    pipeDelayed(client, upstream, () => delay);
    pipeDelayed(upstream, client, () => delay);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address !== 'object') return reject(new Error('relay: no port'));
      resolve({
        port: address.port,
        setDelay: (ms) => {
          delay = ms;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of open) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
