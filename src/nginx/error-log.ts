/**
 * Reads nginx's error log: finds the lines about upstreams (backends) and says what each one means.
 * Pure, no I/O. Wordings are those nginx 1.22 writes, captured from real runs
 * (test/fixtures/error-log/).
 */
import type { UpstreamError } from '../facts/keys.js';
import { stripControl } from '../shell/sanitize.js';

export interface Classified {
  kind: string;
  errno: number | null;
  detail?: string;
}

// errno of a failed connect(), or of the recv() that reports a failed non-blocking connect.
const CONNECT_ERRNO: Record<number, string> = {
  2: 'no-such-file',
  13: 'permission-denied',
  24: 'too-many-open-files',
  101: 'network-unreachable',
  110: 'connect-timeout',
  111: 'refused',
  112: 'no-route',
  113: 'no-route',
};

/** Double-quoted parts of a message carry data (paths, header bytes, stderr text), not nginx's wording. */
function unquoted(message: string): string {
  return message.replace(/"[^"]*"/g, '""');
}

function errnoOf(message: string): number | null {
  const m = /\((\d+): /.exec(unquoted(message));
  return m ? Number(m[1]) : null;
}

/** "while reading response header from upstream" -> "reading response header from upstream". */
function phase(message: string): string | undefined {
  const m = / while ([^,"]+)$/.exec(unquoted(message));
  return m?.[1];
}

function tlsReason(message: string): string | undefined {
  // OpenSSL 3: "error:0A00010B:SSL routines::wrong version number"; 1.1: "error:1408F10B:SSL routines:ssl3_get_record:wrong version number"
  const m = /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:)]+)/.exec(message);
  return m?.[1]?.trim();
}

/**
 * What one upstream message (without its context fields) means. `detail`, when set, is the TLS reason,
 * the DNS name, the address dialled, the FastCGI stderr text, or the phase the failure happened in.
 */
export function classifyMessage(message: string): Classified {
  const errno = errnoOf(message);
  const bare = unquoted(message);
  let m: RegExpExecArray | null;

  if ((m = /^FastCGI sent in stderr: "(.*?)(?:" while [^"]*|")?$/.exec(message))) {
    // nginx cuts long stderr text at ~2 KB, so the closing quote may be missing.
    return { kind: 'fastcgi-stderr', errno: null, detail: m[1] };
  }
  if ((m = /^upstream SSL certificate verify error: \((\d+):([^)]*)\)/.exec(message))) {
    return { kind: 'tls-verify', errno: null, detail: m[2] };
  }
  if ((m = /^upstream SSL certificate (does not match .*?)(?: while |$)/.exec(message))) {
    return { kind: 'tls-verify', errno: null, detail: m[1] };
  }
  if (/\bSSL_\w+\(\) failed \(SSL:/.test(message)) {
    return { kind: 'tls-handshake', errno: null, detail: tlsReason(message) ?? 'SSL error' };
  }
  if (/^peer closed connection in SSL handshake/.test(message)) {
    return { kind: 'tls-handshake', errno, detail: 'peer closed connection in SSL handshake' };
  }
  if ((m = /^host not found in upstream "([^"]*)"/.exec(message))) {
    return { kind: 'dns', errno, detail: m[1] };
  }
  if ((m = /^(\S+) could not be resolved\b/.exec(message))) {
    return { kind: 'dns', errno, detail: m[1] };
  }
  if ((m = /^no resolver defined to resolve (\S+)/.exec(message))) {
    return { kind: 'dns', errno, detail: m[1] };
  }
  if (/ while resolving\b/.test(bare)) return { kind: 'dns', errno, detail: 'resolver unreachable' };
  if (/worker_connections are not enough/.test(bare)) return { kind: 'worker-connections', errno };
  if (/^no live upstreams/.test(bare)) return { kind: 'no-live-upstreams', errno };

  if (/^upstream timed out/.test(bare)) {
    const during = phase(message) ?? '';
    if (/^connecting/.test(during)) return { kind: 'connect-timeout', errno, detail: during };
    if (/^sending/.test(during)) return { kind: 'send-timeout', errno, detail: during };
    if (/^SSL handshaking/.test(during)) return { kind: 'tls-handshake', errno, detail: 'timed out' };
    return { kind: 'read-timeout', errno, detail: during || undefined };
  }
  if (/^upstream prematurely closed/.test(bare)) {
    return { kind: 'premature-close', errno, detail: phase(message) };
  }
  if (/^upstream sent too big header/.test(bare)) return { kind: 'too-big-header', errno };
  if (/^upstream sent no valid HTTP\/1\.0 header/.test(bare)) return { kind: 'no-valid-http-header', errno };
  if ((m = /^upstream sent unsupported FastCGI protocol version: (\d+)/.exec(message))) {
    return { kind: 'fastcgi-protocol', errno, detail: m[1] };
  }
  if (/^upstream sent invalid chunked response/.test(bare)) return { kind: 'invalid-response', errno };
  // grpc_pass reads HTTP/2 frames: an HTTP/1 answer's first bytes ("HTTP/1.1 ...") read as a frame length.
  if ((m = /^upstream sent too large http2 frame: (\d+)/.exec(message))) return { kind: 'http2-framing', errno, detail: m[1] };
  if (/^upstream sent .*header/.test(bare)) {
    const shown = /^upstream sent [^"]*"([^"]*)"/.exec(message);
    return { kind: 'invalid-header', errno, detail: shown?.[1] };
  }

  if ((m = /^connect\(\)(?: to (\S+))? failed/.exec(bare)) || /^(?:recv|readv)\(\) failed \(111:/.test(bare)) {
    const target = m?.[1];
    if (errno === 11) {
      // EAGAIN on a unix socket: its listen backlog is full; on TCP it means no free local port.
      return { kind: target?.startsWith('unix:') ? 'backlog-full' : 'other', errno, detail: target };
    }
    const kind = errno !== null ? CONNECT_ERRNO[errno] : undefined;
    return { kind: kind ?? 'other', errno, detail: target };
  }
  if (/^\w+\(\) failed \((?:104|32): /.test(bare)) return { kind: 'reset', errno, detail: phase(message) };
  if (errno === 24) return { kind: 'too-many-open-files', errno };

  return { kind: 'other', errno };
}

// nginx cuts its own lines at about 2 KB; anything far longer is not an nginx line, so parse only its head.
const MAX_LINE = 16 * 1024;
const HEAD = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
// What `nginx -t` prints before an error_log directive has been read.
const CLI_HEAD = /^nginx: \[(\w+)\] (.*)$/;
// nginx writes upstream failures at these levels; [warn] and below are notes (buffering, a server marked down).
const FAILURE_LEVELS = new Set(['emerg', 'alert', 'crit', 'error']);
const ABOUT_UPSTREAM =
  /\b(?:to|from) upstream\b|^upstream (?:sent|timed out|prematurely|SSL)\b|^no live upstreams|host not found in upstream|\bwhile reading upstream\b|could not be resolved|^no resolver defined|\bwhile resolving\b|worker_connections are not enough|^FastCGI sent in stderr|^peer closed connection in SSL handshake/;
const ABOUT_CLIENT = /^client\b|\b(?:to|from) client\b|\bclient (?:prematurely )?closed\b/;

type Field = 'client' | 'server' | 'request' | 'subrequest' | 'upstream' | 'host' | 'referrer';
const NEXT = '(?=$|, (?:client|server|request|subrequest|upstream|host|referrer): )';
// One sticky pattern for the context fields nginx appends; values that cannot hold spaces or quotes are held
// to that, so text quoted inside the message is less likely to pass for the context.
const FIELD = new RegExp(`, (?:(client): ([^\\s,"]*)|(server): ([^\\s"]*?)|(request|subrequest|referrer): "(.*?)"|(upstream|host): "([^\\s"]*)")${NEXT}`, 'y');

function readContext(text: string, from: number): { fields: Partial<Record<Field, string>>; complete: boolean } {
  const fields: Partial<Record<Field, string>> = {};
  FIELD.lastIndex = from;
  let at = from;
  for (let i = 0; i < 8 && at < text.length; i++) {
    const m = FIELD.exec(text);
    if (!m) break;
    const key = (m[1] ?? m[3] ?? m[5] ?? m[7]) as Field;
    if (key in fields) break;
    fields[key] = m[2] ?? m[4] ?? m[6] ?? m[8] ?? '';
    at = FIELD.lastIndex;
  }
  return { fields, complete: at === text.length };
}

/** Splits "message, client: ..., server: ..., request: "..."" into the message and its context fields. */
function splitContext(rest: string): { message: string; fields: Partial<Record<Field, string>> } {
  let first: { at: number; fields: Partial<Record<Field, string>> } | null = null;
  let at = rest.indexOf(', client: ');
  for (let tries = 0; at >= 0 && tries < 16; tries++) {
    const { fields, complete } = readContext(rest, at);
    if (complete) return { message: rest.slice(0, at), fields };
    first ??= { at, fields };
    at = rest.indexOf(', client: ', at + 1);
  }
  // A line nginx truncated (a long request) ends inside its context: keep what could be read.
  return first ? { message: rest.slice(0, first.at), fields: first.fields } : { message: rest, fields: {} };
}

/** One error-log line, if nginx wrote it about an upstream at a failure level; null otherwise. */
export function parseErrorLine(line: string): UpstreamError | null {
  const clean = stripControl(line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line).trim();
  let time = '';
  let level: string;
  let rest: string;
  const m = HEAD.exec(clean);
  if (m) {
    [, time, level, rest] = m as unknown as [string, string, string, string];
  } else {
    const cli = CLI_HEAD.exec(clean);
    if (!cli) return null;
    [, level, rest] = cli as unknown as [string, string, string];
  }
  if (!FAILURE_LEVELS.has(level)) return null;

  const { message, fields } = splitContext(rest);
  const bare = unquoted(message);
  if (ABOUT_CLIENT.test(bare)) return null;
  if (!ABOUT_UPSTREAM.test(bare) && fields.upstream === undefined) return null;

  const { kind, errno } = classifyMessage(message);
  const error: UpstreamError = { time, level, errno, kind, message, line: clean };
  if (fields.upstream !== undefined) error.upstream = fields.upstream;
  if (fields.server !== undefined) error.server = fields.server;
  if (fields.request !== undefined) error.request = fields.request;
  if (fields.host !== undefined) error.host = fields.host;
  if (fields.client !== undefined) error.client = fields.client;
  return error;
}

/**
 * All upstream lines of a log, oldest first. The text may be a tail that starts mid-line, and may hold
 * binary junk: lines that do not start with nginx's timestamp are skipped.
 */
export function parseErrorLog(text: string): UpstreamError[] {
  const out: UpstreamError[] = [];
  for (const line of text.split(/\r?\n/)) {
    const error = parseErrorLine(line);
    if (error) out.push(error);
  }
  return out;
}

export interface ErrorFilter {
  /** Request path, compared with the request line's target without its query string; include "?" to compare the whole target. */
  path?: string;
  /** Host header name, case-insensitive, port ignored. A line without a host field does not match. */
  host?: string;
  /** Port from the Host header, when the line's host field carries one; a host field without a port does not rule a line out. */
  port?: number;
  /** server_name nginx printed for the server block, case-insensitive. */
  server?: string;
  /**
   * Upstream address as given: "127.0.0.1:9000", "http://127.0.0.1:9000/x", "unix:/run/php.sock",
   * "/run/php.sock" or a group name. Scheme, URI and the trailing ":" of unix addresses are ignored; without
   * a port only the host part is compared. DNS lines (which carry no upstream field) match by the name.
   */
  upstream?: string;
}

/** "http://127.0.0.1:9/x" -> "127.0.0.1:9"; "fastcgi://unix:/a.sock:" -> "unix:/a.sock"; "/a.sock" -> "unix:/a.sock". */
function upstreamAddress(value: string): string {
  let v = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (v.startsWith('/')) v = `unix:${v}`;
  if (v.startsWith('unix:')) return `unix:${v.slice(5).split(':')[0]}`;
  return v.split('/')[0]!.toLowerCase();
}

function splitHostPort(value: string): { host: string; port: number | null } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(value.trim().toLowerCase());
  if (!m) return { host: value.trim().toLowerCase(), port: null };
  return { host: m[1]!, port: m[2] !== undefined ? Number(m[2]) : null };
}

function requestTarget(request: string): string | null {
  const m = /^\S+ (\S+)/.exec(request);
  return m ? m[1]! : null;
}

function upstreamMatches(error: UpstreamError, wanted: string): boolean {
  const seen = error.upstream ?? (error.kind === 'dns' ? classifyMessage(error.message).detail : undefined);
  if (seen === undefined) return false;
  const a = upstreamAddress(wanted);
  const b = upstreamAddress(seen);
  if (a === b) return true;
  if (a.startsWith('unix:') || b.startsWith('unix:')) return false;
  const want = splitHostPort(a);
  const got = splitHostPort(b);
  return want.host === got.host && (want.port === null || got.port === null || want.port === got.port);
}

function matches(error: UpstreamError, filter: ErrorFilter): boolean {
  if (filter.path !== undefined) {
    const target = error.request !== undefined ? requestTarget(error.request) : null;
    if (target === null) return false;
    const seen = filter.path.includes('?') ? target : target.split('?')[0];
    if (seen !== filter.path) return false;
  }
  if (filter.host !== undefined || filter.port !== undefined) {
    if (error.host === undefined) {
      if (filter.host !== undefined) return false;
    } else {
      const got = splitHostPort(error.host);
      if (filter.host !== undefined && got.host !== splitHostPort(filter.host).host) return false;
      if (filter.port !== undefined && got.port !== null && got.port !== filter.port) return false;
    }
  }
  if (filter.server !== undefined && error.server?.toLowerCase() !== filter.server.toLowerCase()) return false;
  if (filter.upstream !== undefined && !upstreamMatches(error, filter.upstream)) return false;
  return true;
}

/**
 * The newest error relevant to the failing request: every given filter field must match. A real failure
 * is preferred over a newer 'fastcgi-stderr' line, which nginx writes for the backend's own messages.
 */
export function newestFor(errors: UpstreamError[], filter: ErrorFilter): UpstreamError | null {
  let fallback: UpstreamError | null = null;
  for (let i = errors.length - 1; i >= 0; i--) {
    const error = errors[i]!;
    if (!matches(error, filter)) continue;
    if (error.kind !== 'fastcgi-stderr') return error;
    fallback ??= error;
  }
  return fallback;
}
