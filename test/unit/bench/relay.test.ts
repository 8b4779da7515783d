import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../../bench/relay.js';

/** An echo server on loopback that ends its side when the client ends. */
function echoServer(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: true }, () => resolve(s));
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayToEcho(delayMs: number): Promise<Relay> {
  const { server, port } = await echoServer();
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const relay = await startRelay('127.0.0.1', port, delayMs);
  cleanups.push(() => relay.close());
  return relay;
}

describe('bench relay', () => {
  it('adds the delay in each direction: one echo takes about twice the delay', async () => {
    const relay = await relayToEcho(40);
    const socket = await open(relay.port);
    cleanups.push(() => void socket.destroy());
    const started = performance.now();
    socket.write('ping');
    await new Promise((r) => socket.once('data', r));
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(78);
    expect(ms).toBeLessThan(400);
  });

  it('keeps every byte in order, and passes the end of the stream after the data', async () => {
    const relay = await relayToEcho(5);
    const socket = await open(relay.port);
    const sent = Array.from({ length: 200 }, (_, i) => `${i},`).join('');
    let got = '';
    socket.on('data', (d) => (got += d));
    const ended = new Promise((r) => socket.on('end', r));
    for (let i = 0; i < 200; i++) socket.write(`${i},`);
    socket.end();
    await ended;
    expect(got).toBe(sent);
  });

  it('a delay set later applies to the next chunks', async () => {
    const relay = await relayToEcho(0);
    const socket = await open(relay.port);
    cleanups.push(() => void socket.destroy());
    const echo = async () => {
      const started = performance.now();
      socket.write('x');
      await new Promise((r) => socket.once('data', r));
      return performance.now() - started;
    };
    expect(await echo()).toBeLessThan(60);
    relay.setDelay(50);
    expect(await echo()).toBeGreaterThanOrEqual(98);
  });
});
