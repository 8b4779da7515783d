import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { freePort } from './ports.js';
import { start, type Started } from './processes.js';
import { PROTOCOLS, startBackend, type Backend, type Protocol } from './route-oracle-backends.js';

/**
 * One site of the routing oracle: a config tree from test/fixtures/route-oracle/<name>/ laid over _base/
 * (Debian's layout: etc/nginx/nginx.conf including conf.d/*.conf and sites-enabled/*) in a temp prefix,
 * with its placeholders filled in, its document roots created, its backends and its own nginx started.
 *
 * Placeholders in the config files: @prefix@ (the temp prefix), @port:NAME@ (a free port for the
 * listeners named NAME), @PROTO:NAME@ (127.0.0.1:PORT of backend NAME speaking PROTO: http, fcgi, uwsgi,
 * scgi, memcached, grpc; `dead` is a port nothing listens on), @PROTO-unix:NAME@ (unix:/path of a backend
 * listening on a socket in the prefix), @PROTO-v6:NAME@ ([::1]:PORT), @PROTO-localhost:NAME@ (localhost:PORT,
 * the backend listening on every address localhost resolves to).
 */

export const FIXTURES = fileURLToPath(new URL('../../fixtures/route-oracle/', import.meta.url));
const BASE = '_base';
const CASE_FILE = 'case.yaml';

export interface CaseRequest {
  /** The name of the listen port (the NAME of @port:NAME@); default `main`. */
  listen: string;
  /** The address the request is sent to; default 127.0.0.1. */
  address: string;
  /** The Host header; "" sends none (an HTTP/1.0 request). */
  host: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  /** What real nginx does, written down when the case was made: `proxied NAME[|NAME]`, `served STATUS [FILE]`, `redirect STATUS LOCATION`, `return STATUS`. */
  expect: string;
}

export interface OracleCase {
  name: string;
  about: string;
  /** Files (and directories, ending in /) to create under the prefix; each file holds `file PATH`. */
  docroot: string[];
  /** Backends no placeholder names, reached only through a variable: name -> PROTO or PROTO-unix. */
  backends: Record<string, string>;
  requests: CaseRequest[];
  /** Error log alerts the case provokes on purpose (a part of each line), e.g. PCRE2's match limit. */
  alerts: string[];
}

export interface Site {
  prefix: string;
  conf: string;
  ports: Map<string, number>;
  backends: Map<string, Backend>;
  accessLog: string;
  errorLog: string;
  /** What `nginx -T` printed for this config. */
  dump: string;
  /** The case's own expected alerts (OracleCase.alerts). */
  alerts: string[];
  nginx: Started;
}

export function oracleCaseNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => !name.startsWith('_') && statSync(join(FIXTURES, name)).isDirectory())
    .sort();
}

export function loadCase(name: string): OracleCase {
  const raw = parseYaml(readFileSync(join(FIXTURES, name, CASE_FILE), 'utf8')) as {
    about?: string;
    docroot?: string[];
    backends?: Record<string, string>;
    requests?: Partial<CaseRequest>[];
    alerts?: string[];
  };
  const requests = (raw.requests ?? []).map((r, i): CaseRequest => {
    if (r.host === undefined || !r.path || !r.expect) throw new Error(`${name}/${CASE_FILE}: request ${i + 1} needs host ("" for none), path and expect`);
    return {
      listen: r.listen ?? 'main',
      address: r.address ?? '127.0.0.1',
      host: String(r.host),
      path: String(r.path),
      method: r.method ?? 'GET',
      headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
      expect: String(r.expect),
    };
  });
  return { name, about: raw.about ?? '', docroot: raw.docroot ?? [], backends: raw.backends ?? {}, requests, alerts: raw.alerts ?? [] };
}

function filesUnder(root: string, dir = ''): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return filesUnder(root, rel);
    return rel === CASE_FILE ? [] : [rel];
  });
}

/** The config files of a case, base first, the case's own overriding a base file of the same path. */
function configFiles(name: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const root of [join(FIXTURES, BASE), join(FIXTURES, name)]) {
    for (const rel of filesUnder(root)) files.set(rel, readFileSync(join(root, rel), 'utf8'));
  }
  return files;
}

const PLACEHOLDER = new RegExp(`@(prefix|port|${PROTOCOLS.join('|')})(-unix|-v6|-localhost)?(?::([A-Za-z0-9_.-]+))?@`, 'g');
const LOOKS_LIKE_PLACEHOLDER = /@[a-z-]+:[A-Za-z0-9_.-]+@/g;
const LISTEN = /listen\s+(?:(\[[^\]]+\]|[\d.]+):)?@port:([A-Za-z0-9_.-]+)@/g;

type Where = 'unix' | 'ipv4' | 'ipv6' | 'localhost';
const WHERE: Record<string, Where> = { '': 'ipv4', '-unix': 'unix', '-v6': 'ipv6', '-localhost': 'localhost' };

interface Plan {
  /** Port name -> the addresses its listens use (`*` for a port alone). */
  ports: Map<string, Set<string>>;
  backends: Map<string, { protocol: Protocol; where: Where }>;
}

function planOf(files: Map<string, string>, extra: Record<string, string>): Plan {
  const plan: Plan = { ports: new Map(), backends: new Map() };
  const declared = Object.entries(extra).map(([name, kind]) => `@${kind}:${name}@`);
  for (const [rel, text] of [...files, [CASE_FILE, declared.join('\n')] as const]) {
    for (const match of text.matchAll(LOOKS_LIKE_PLACEHOLDER)) {
      if (!new RegExp(`^${PLACEHOLDER.source}$`).test(match[0])) throw new Error(`${rel}: unknown placeholder ${match[0]}`);
    }
    for (const [, kind, suffix, name] of text.matchAll(PLACEHOLDER)) {
      if (kind === 'prefix') continue;
      if (!name) throw new Error(`${rel}: @${kind}@ needs a name`);
      if (kind === 'port') {
        if (!plan.ports.has(name)) plan.ports.set(name, new Set());
        continue;
      }
      const where = WHERE[suffix ?? ''] as Where;
      const known = plan.backends.get(name);
      if (known && (known.protocol !== kind || known.where !== where)) throw new Error(`${rel}: backend ${name} is used as two kinds`);
      plan.backends.set(name, { protocol: kind as Protocol, where });
    }
    for (const [, address, name] of text.matchAll(LISTEN)) plan.ports.get(name as string)?.add(address ?? '*');
  }
  return plan;
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

const bindable = (address: string): string => (address === '*' ? '0.0.0.0' : address.replace(/^\[(.*)\]$/, '$1'));

/** A port free on every address its listens name (bounded tries), distinct from the ones already taken. */
async function portFor(addresses: Set<string>, taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (taken.has(port)) continue;
    let free = true;
    // One at a time: a wildcard bind and a specific one on the same port would refuse each other.
    for (const address of addresses) free = free && (await canListen(bindable(address), port));
    if (free) return port;
  }
  throw new Error('no free port on every listen address');
}

function substitute(text: string, prefix: string, ports: Map<string, number>, backends: Map<string, Backend>): string {
  return text.replace(PLACEHOLDER, (_all, kind: string, _unix: string | undefined, name: string | undefined) => {
    if (kind === 'prefix') return prefix;
    if (kind === 'port') return String(ports.get(name as string));
    return (backends.get(name as string) as Backend).address;
  });
}

function nginxArgs(prefix: string, conf: string, ...more: string[]): string[] {
  return ['-p', `${prefix}/`, '-c', conf, ...more];
}

/** nginx's workers run as www-data: every folder of the prefix traversable, every file readable, whatever the umask. */
function openToWorkers(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) openToWorkers(path);
    else if (entry.isFile()) chmodSync(path, 0o644);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = connect({ host, port });
    client.setTimeout(1000, () => {
      client.destroy();
      resolve(false);
    });
    client.once('connect', () => {
      client.destroy();
      resolve(true);
    });
    client.once('error', () => resolve(false));
  });
}

/** Waits (bounded) until nginx accepts on every listener, or says why it cannot. */
async function waitListening(site: { nginx: Started; errorLog: string }, listeners: { host: string; port: number }[]): Promise<string | null> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const log = existsSync(site.errorLog) ? readFileSync(site.errorLog, 'utf8') : '';
    const emerg = `${site.nginx.output()}\n${log}`.split('\n').find((line) => line.includes('[emerg]'));
    if (emerg) return emerg;
    const up = await Promise.all(listeners.map((l) => connects(l.host, l.port)));
    if (up.every(Boolean)) return null;
    await sleep(50);
  }
  return `nginx did not listen on ${listeners.map((l) => `${l.host}:${l.port}`).join(', ')} within 5 s`;
}

/**
 * Lays the case out in a fresh prefix and starts its backends and nginx (as root, workers as www-data).
 * Everything started is handed to `later` to be stopped by PID and removed.
 */
export async function startSite(oracleCase: OracleCase, later: (cleanup: () => Promise<void> | void) => void): Promise<Site> {
  const files = configFiles(oracleCase.name);
  const plan = planOf(files, oracleCase.backends);
  const prefix = mkdtempSync(join(tmpdir(), `bgw-oracle-${oracleCase.name}-`));
  later(() => rmSync(prefix, { recursive: true, force: true }));
  for (const dir of ['run', 'var/log/nginx', 'var/lib/nginx']) mkdirSync(join(prefix, dir), { recursive: true });

  const backends = new Map<string, Backend>();
  for (const [name, { protocol, where }] of plan.backends) {
    const backend = await startBackend(name, protocol, where === 'unix' ? { unix: join(prefix, 'run', `${name}.sock`) } : { tcp: where });
    later(() => backend.stop());
    backends.set(name, backend);
  }
  for (const rel of oracleCase.docroot) {
    const path = join(prefix, rel);
    if (rel.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `file ${rel}\n`);
  }

  const conf = join(prefix, 'etc/nginx/nginx.conf');
  const accessLog = join(prefix, 'var/log/nginx/access.log');
  const errorLog = join(prefix, 'var/log/nginx/error.log');
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken = new Set([...backends.values()].flatMap((b) => b.dialled.map((d) => Number(d.split(':').at(-1)))).filter((p) => Number.isInteger(p)));
    const ports = new Map<string, number>();
    for (const [name, addresses] of plan.ports) {
      const port = await portFor(addresses, taken);
      taken.add(port);
      ports.set(name, port);
    }
    for (const [rel, text] of files) {
      mkdirSync(dirname(join(prefix, rel)), { recursive: true });
      writeFileSync(join(prefix, rel), substitute(text, prefix, ports, backends));
    }
    openToWorkers(prefix);
    rmSync(errorLog, { force: true });
    execFileSync('nginx', nginxArgs(prefix, conf, '-t', '-q'), { stdio: 'pipe' });
    const dump = execFileSync('nginx', nginxArgs(prefix, conf, '-T', '-q'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const nginx = start('nginx', nginxArgs(prefix, conf, '-g', 'daemon off;'));
    later(() => nginx.stop());
    const listeners = [...plan.ports].flatMap(([name, addresses]) => [...addresses].map((a) => ({ host: a === '*' ? '127.0.0.1' : bindable(a), port: ports.get(name) as number })));
    const site: Site = { prefix, conf, ports, backends, accessLog, errorLog, dump, nginx, alerts: oracleCase.alerts };
    const failure = await waitListening(site, listeners);
    if (!failure) return site;
    lastFailure = failure;
    await nginx.stop();
    // Only a port taken between our check and nginx's bind is worth another try.
    if (!failure.includes('Address already in use')) break;
  }
  throw new Error(`nginx for ${oracleCase.name} did not start: ${lastFailure}`);
}
