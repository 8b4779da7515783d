import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { backendBody } from './route-oracle-backends.js';
import type { CaseRequest, Site } from './route-oracle-site.js';

/**
 * The oracle's side of the routing suite: send one request of a case through the real nginx and read
 * back what nginx did with it from its own access log (the `oracle` log_format of _base/etc/nginx/nginx.conf:
 * request id, $status, $upstream_addr, $sent_http_location, $uri, $request_uri, $server_name).
 */

export const ID_HEADER = 'x-oracle-id';
const REQUEST_TIMEOUT_MS = 4000;
const LOG_WAIT_MS = 2000;

export type VerdictKind = 'proxied' | 'served' | 'redirect' | 'return';

export interface Verdict {
  kind: VerdictKind;
  status: number;
  /** $upstream_addr as nginx logged it (`127.0.0.1:PORT`, `unix:/path`), when proxied. */
  upstream: string | null;
  /** The name of the backend at that address. */
  backend: string | null;
  /** The Location nginx sent (absolute unless absolute_redirect is off: nginx adds the scheme, host and port). */
  location: string | null;
  /** The prefix-relative path of the docroot file whose content nginx sent, if it sent one. */
  file: string | null;
  /** $uri at the end: after every rewrite and internal redirect. */
  uri: string;
  serverName: string;
  /** The verdict in the words of case.yaml's `expect`. */
  text: string;
}

export interface Exchange {
  request: CaseRequest;
  id: string;
  /** null when the oracle could not tell (see problems). */
  verdict: Verdict | null;
  /** Whatever makes this answer untrustworthy as an oracle (a failed backend, no log line, a status mismatch). */
  problems: string[];
}

interface Answer {
  status: number | null;
  location: string | null;
  body: string;
  error: string | null;
}

/** An HTTP/1.0 request with no Host header at all (node's client always sends one), read to the end. */
function sendWithoutHost(address: string, port: number, req: CaseRequest, id: string): Promise<Answer> {
  const lines = [`${req.method} ${req.path} HTTP/1.0`, `${ID_HEADER}: ${id}`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve) => {
    let raw = '';
    const socket = connect({ host: address, port });
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('timed out')));
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      if (raw.length < 16384) raw += chunk.toString('latin1');
    });
    socket.on('error', (error) => resolve({ status: null, location: null, body: '', error: error.message }));
    socket.on('end', () => {
      const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
      const status = Number(head.match(/^HTTP\/1\.\d (\d{3})/)?.[1] ?? NaN);
      const location = head.match(/\r\nLocation: ([^\r]*)/i)?.[1] ?? null;
      resolve({ status: Number.isNaN(status) ? null : status, location, body, error: null });
    });
  });
}

/**
 * One request, bounded in time, to the address and port of the case's listener, with its Host and
 * headers; a case's empty host means no Host header (so HTTP/1.0).
 */
function send(site: Site, req: CaseRequest, id: string): Promise<Answer> {
  const port = site.ports.get(req.listen);
  if (port === undefined) return Promise.resolve({ status: null, location: null, body: '', error: `no listen port named ${req.listen}` });
  if (req.host === '') return sendWithoutHost(req.address, port, req, id);
  const headers: Record<string, string> = { Host: req.host, [ID_HEADER]: id, ...req.headers };
  if (!['GET', 'HEAD'].includes(req.method)) headers['Content-Length'] = '0';
  return new Promise((resolve) => {
    const outgoing = request({ host: req.address, port, method: req.method, path: req.path, headers, agent: false, setHost: false, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }, (response) => {
      let body = '';
      response.setEncoding('latin1');
      response.on('data', (chunk: string) => {
        if (body.length < 8192) body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? null, location: response.headers.location ?? null, body, error: null }));
      response.on('error', (error) => resolve({ status: response.statusCode ?? null, location: null, body, error: error.message }));
    });
    outgoing.on('error', (error) => resolve({ status: null, location: null, body: '', error: error.message }));
    outgoing.end();
  });
}

/** A request as the tables show it: method, Host and path, the address:port when not the usual, headers. */
export function describeRequest(req: CaseRequest): string {
  const headers = Object.entries(req.headers).map(([k, v]) => ` ${k}: ${v}`);
  const where = req.listen === 'main' && req.address === '127.0.0.1' ? '' : ` @${req.address}:${req.listen}`;
  return `${req.method} ${req.host || '(no Host, HTTP/1.0) '}${req.path}${where}${headers.join('')}`;
}

/** Turns the access log's \xHH escapes back into the bytes nginx saw (read as UTF-8). */
export function unescapeLog(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i, i + 4).match(/^\\x([0-9A-Fa-f]{2})$/);
    if (hex) {
      bytes.push(parseInt(hex[1] as string, 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(value[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** nginx writes the access log line as the request ends, maybe just after the client has its answer: wait, bounded. */
async function logFields(site: Site, id: string): Promise<string[] | null> {
  for (let waited = 0; waited <= LOG_WAIT_MS; waited += 50) {
    const text = existsSync(site.accessLog) ? readFileSync(site.accessLog, 'latin1') : '';
    const line = text.split('\n').find((l) => l.startsWith(`${id}\t`));
    if (line) return line.split('\t');
    await sleep(50);
  }
  return null;
}

const REDIRECTS = [301, 302, 303, 307, 308];
const FILE_BODY = /^file (.+)\n$/;

/** nginx's Location for a Location as written relative to the request (`/x/` -> http://HOST:PORT/x/). */
export function absoluteLocation(location: string, req: CaseRequest, port: number): string {
  if (!location.startsWith('/')) return location;
  const host = req.host.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  return `http://${host}${port === 80 ? '' : `:${port}`}${location}`;
}

/** Sends one request and reads nginx's verdict on it. */
export async function exchange(site: Site, req: CaseRequest, id: string): Promise<Exchange> {
  const problems: string[] = [];
  const answer = await send(site, req, id);
  const fields = await logFields(site, id);
  if (!fields) {
    problems.push(`no access log line for ${id} (answer: ${answer.status ?? answer.error})`);
    return { request: req, id, verdict: null, problems };
  }
  const [, statusText = '', upstreamText = '', locationText = '', uriText = '', , serverName = ''] = fields;
  const status = Number(statusText);
  // 444 closes the connection without an answer; every other status must be what the client got.
  if (status === 444 ? answer.status !== null : answer.status !== status) problems.push(`nginx logged ${status}, the client got ${answer.status ?? answer.error}`);
  const upstreams = upstreamText === '-' || upstreamText === '' ? [] : upstreamText.split(/, | : /);
  const location = locationText === '-' ? null : unescapeLog(locationText);
  const uri = unescapeLog(uriText);
  if (upstreams.length > 1) problems.push(`nginx tried several upstreams: ${upstreamText}`);
  const upstream = upstreams.at(-1) ?? null;
  const backend = upstream ? ([...site.backends.values()].find((b) => b.dialled.includes(upstream)) ?? null) : null;
  if (upstream && !backend) problems.push(`nginx went to ${upstream}, which is no backend of this case`);
  if (backend && backend.protocol !== 'dead' && answer.body !== backendBody(backend.name)) {
    problems.push(`the answer through ${backend.name} is not its own: ${JSON.stringify(answer.body.slice(0, 80))}`);
  }
  if (backend?.protocol === 'dead' && status !== 502) problems.push(`the dead backend ${backend.name} gave ${status}`);
  const file = answer.body.match(FILE_BODY)?.[1] ?? null;
  let kind: VerdictKind;
  let text: string;
  if (upstream) {
    kind = 'proxied';
    text = `proxied ${backend?.name ?? upstream}`;
  } else if (REDIRECTS.includes(status) && location) {
    kind = 'redirect';
    text = `redirect ${status} ${location}`;
  } else if (file || status === 403 || status === 404) {
    kind = 'served';
    text = file ? `served ${status} ${file}` : `served ${status}`;
  } else {
    kind = 'return';
    text = `return ${status}`;
  }
  if (!upstream && status >= 500 && status !== 500 && status !== 503) problems.push(`nginx answered ${status} without an upstream`);
  return { request: req, id, verdict: { kind, status, upstream, backend: backend?.name ?? null, location, file, uri, serverName, text }, problems };
}

/**
 * Is `ours` the Location nginx sent? nginx makes a relative Location absolute with the Host and the
 * listen port (unless absolute_redirect is off), so a relative one matches either way.
 */
export function sameLocation(ours: string | null | undefined, nginx: string | null, req: CaseRequest, port: number): boolean {
  if (!ours || !nginx) return ours === nginx;
  return ours === nginx || absoluteLocation(ours, req, port) === nginx;
}

/** Does the verdict match case.yaml's expectation (`proxied a|b`, a relative redirect Location, @port:NAME@)? */
export function meetsExpectation(verdict: Verdict, req: CaseRequest, ports: ReadonlyMap<string, number>): boolean {
  const port = ports.get(req.listen) as number;
  const expect = req.expect.replace(/@port:([A-Za-z0-9_.-]+)@/g, (_all, name: string) => String(ports.get(name)));
  const [kind, ...rest] = expect.trim().split(/\s+/);
  if (kind === 'proxied') return verdict.kind === 'proxied' && (rest[0] ?? '').split('|').includes(verdict.backend ?? '');
  if (kind === 'redirect') {
    return verdict.kind === 'redirect' && verdict.status === Number(rest[0]) && sameLocation(rest.slice(1).join(' '), verdict.location, req, port);
  }
  return verdict.text === expect.trim();
}

/**
 * Everything that makes a site's answers unfit as truth: an exchange's own problems, a verdict the
 * case did not expect (the config does not do what it was written to do), error log lines of a
 * failed backend. Each comes with the request; the error log's tail is added to help read them.
 */
export function oracleProblems(site: Site, exchanges: Exchange[]): string[] {
  const problems = [
    ...exchanges.flatMap((x) => x.problems.map((p) => `${describeRequest(x.request)}: ${p}`)),
    ...exchanges
      .filter((x) => x.verdict && !meetsExpectation(x.verdict, x.request, site.ports))
      .map((x) => `${describeRequest(x.request)}: case.yaml expects "${x.request.expect}", nginx: ${x.verdict?.text} (uri ${x.verdict?.uri}, server ${x.verdict?.serverName})`),
    ...errorLogProblems(site),
  ];
  if (!problems.length) return [];
  const log = (existsSync(site.errorLog) ? readFileSync(site.errorLog, 'utf8') : '').split('\n').filter(Boolean).slice(-15);
  return [...problems, `the tail of ${site.errorLog}:`, ...log.map((line) => `  ${line}`)];
}

/** The error log lines that say the oracle itself went wrong: a backend that failed, a crash, a worker alert. */
function errorLogProblems(site: Site): string[] {
  const dead = [...site.backends.values()].filter((b) => b.protocol === 'dead').flatMap((b) => b.dialled);
  const text = existsSync(site.errorLog) ? readFileSync(site.errorLog, 'utf8') : '';
  return text
    .split('\n')
    .filter((line) => /\[(crit|alert|emerg)\]|upstream/.test(line))
    .filter((line) => !dead.some((address) => line.includes(`upstream: "`) && line.includes(address)))
    .filter((line) => !site.alerts.some((alert) => line.includes(alert)))
    .map((line) => `error.log: ${line}`);
}
