import { lookup } from 'node:dns/promises';
import { chmodSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createH2cServer, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

/**
 * Tiny backends for the routing oracle, one per `*_pass` target of a config, each answering validly in
 * its protocol with a body that names it, so nginx's answer (and its $upstream_addr) says which pass it used.
 */

export const PROTOCOLS = ['http', 'fcgi', 'uwsgi', 'scgi', 'memcached', 'grpc', 'dead'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface Backend {
  name: string;
  protocol: Protocol;
  /** As the config names it: `127.0.0.1:PORT`, `[::1]:PORT`, `localhost:PORT` or `unix:/path`. */
  address: string;
  /** What nginx may log as $upstream_addr for it: the address, or each address the name resolves to. */
  dialled: string[];
  stop: () => Promise<void>;
}

/** The body every backend answers with: a proxied answer is recognised by it. */
export const backendBody = (name: string): string => `backend ${name}\n`;

type Responder = (socket: Socket, name: string) => void;

/** A FastCGI responder: after the empty FCGI_STDIN record, one FCGI_STDOUT with a CGI answer and FCGI_END_REQUEST. */
const fastcgi: Responder = (socket, name) => {
  let pending = Buffer.alloc(0);
  let answered = false;
  const record = (type: number, id: number, content: Buffer): Buffer => {
    const header = Buffer.from([1, type, id >> 8, id & 0xff, content.length >> 8, content.length & 0xff, 0, 0]);
    return Buffer.concat([header, content]);
  };
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8 && !answered) {
      const type = pending[1] as number;
      const id = pending.readUInt16BE(2);
      const length = pending.readUInt16BE(4);
      const padding = pending[6] as number;
      if (pending.length < 8 + length + padding) return;
      pending = pending.subarray(8 + length + padding);
      if (type === 5 && length === 0) {
        answered = true;
        const cgi = `Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n${backendBody(name)}`;
        socket.end(Buffer.concat([record(6, id, Buffer.from(cgi)), record(6, id, Buffer.alloc(0)), record(3, id, Buffer.alloc(8))]));
      }
    }
  });
};

/** A uwsgi responder: after the 4-byte header and its vars, a plain HTTP answer. */
const uwsgi: Responder = (socket, name) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (pending.length >= 4 && pending.length >= 4 + pending.readUInt16LE(1) && !socket.writableEnded) {
      const body = backendBody(name);
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    }
  });
};

/** An SCGI responder: after the netstring of headers, a CGI-style answer. */
const scgi: Responder = (socket, name) => {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    const colon = pending.indexOf(':');
    if (colon < 0 || socket.writableEnded) return;
    if (pending.length >= colon + 1 + Number(pending.slice(0, colon)) + 1) {
      socket.end(`Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n${backendBody(name)}`);
    }
  });
};

/** A memcached responder: every `get KEY` is a hit whose value names the backend. */
const memcached: Responder = (socket, name) => {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    const end = pending.indexOf('\r\n');
    if (end < 0 || socket.writableEnded) return;
    const key = pending.slice(0, end).replace(/^get /, '');
    const value = backendBody(name);
    socket.end(`VALUE ${key} 0 ${value.length}\r\n${value}\r\nEND\r\n`);
  });
};

const RESPONDERS: Partial<Record<Protocol, Responder>> = { fcgi: fastcgi, uwsgi, scgi, memcached };

/**
 * Where a backend listens: a unix socket path, or a TCP port of its own (picked by the kernel) on
 * 127.0.0.1, on ::1, or on every address `localhost` resolves to here (nginx dials one of them).
 */
export type Place = { unix: string } | { tcp: 'ipv4' | 'ipv6' | 'localhost' };

type Listenable = Server | ReturnType<typeof createHttpServer> | ReturnType<typeof createH2cServer>;

/** A server answering in the protocol, and how to drop its open connections so close() can finish. */
function makeServer(protocol: Exclude<Protocol, 'dead'>, name: string): { server: Listenable; drop: () => void } {
  if (protocol === 'http') {
    const server = createHttpServer((request, response) => {
      request.resume();
      response.setHeader('Content-Type', 'text/plain');
      response.end(backendBody(name));
    });
    return { server, drop: () => server.closeAllConnections() };
  }
  if (protocol === 'grpc') {
    const sessions = new Set<ServerHttp2Session>();
    const server = createH2cServer();
    server.on('session', (session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(backendBody(name));
    });
    return { server, drop: () => sessions.forEach((session) => session.destroy()) };
  }
  const respond = RESPONDERS[protocol] as Responder;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    respond(socket, name);
  });
  return { server, drop: () => sockets.forEach((socket) => socket.destroy()) };
}

/** Listens on a socket path, or on host:port (0: any free one); resolves to the port. */
function listen(server: Listenable, where: { path: string } | { host: string; port: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    };
    if ('path' in where) server.listen(where.path, done);
    else server.listen(where.port, where.host, done);
  });
}

function closeServer(server: Listenable): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

async function tcpHosts(kind: 'ipv4' | 'ipv6' | 'localhost'): Promise<string[]> {
  if (kind === 'ipv4') return ['127.0.0.1'];
  if (kind === 'ipv6') return ['::1'];
  return [...new Set((await lookup('localhost', { all: true })).map((a) => a.address))];
}

/** Starts one backend of the given protocol; `dead` listens nowhere (a free port nothing answers on). */
export async function startBackend(name: string, protocol: Protocol, place: Place): Promise<Backend> {
  if (protocol === 'dead') {
    const address = `127.0.0.1:${await freePort()}`;
    return { name, protocol, address, dialled: [address], stop: async () => {} };
  }
  const servers: ReturnType<typeof makeServer>[] = [];
  const stop = async () => {
    for (const { server, drop } of servers.splice(0)) {
      drop();
      await closeServer(server);
    }
  };
  if ('unix' in place) {
    const one = makeServer(protocol, name);
    servers.push(one);
    await listen(one.server, { path: place.unix });
    chmodSync(place.unix, 0o666);
    return { name, protocol, address: `unix:${place.unix}`, dialled: [`unix:${place.unix}`], stop };
  }
  const hosts = await tcpHosts(place.tcp);
  // Every address on one port: the first picks it, the others may find it taken (then try again, bounded).
  for (let attempt = 0; attempt < 5; attempt++) {
    let port = 0;
    try {
      for (const host of hosts) {
        const one = makeServer(protocol, name);
        servers.push(one);
        port = await listen(one.server, { host, port });
      }
    } catch {
      await stop();
      continue;
    }
    const dialled = hosts.map((host) => hostPort(host, port));
    const address = place.tcp === 'localhost' ? `localhost:${port}` : (dialled[0] as string);
    return { name, protocol, address, dialled, stop };
  }
  throw new Error(`backend ${name}: no port free on ${hosts.join(' and ')}`);
}
