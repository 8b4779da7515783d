import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, Listener } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { isTlsName, parseSClient, sClientCommand } from '../system/openssl.js';
import { FCGI_GET_VALUES, isFastCgiRecord, isTlsRecord, parseRawProbe, rawProbeCommand, showBytes, startsWithHttp } from '../system/raw-probe.js';
import { parseSs } from '../system/ss.js';
import { responseHeadProbe } from '../facts/backend-request.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { onBackend, sameBox, unseen } from '../facts/backend-view.js';
import { failedServer, listenersAt, upstreamPath, type ServerAddress } from '../facts/failed-server.js';

const SS = ['ss', '-Hltnxp'];
const PROBE_SECONDS = 3;
/** A TLS handshake takes milliseconds on a LAN; a backend that waits for more bytes should not cost us long. */
const TLS_SECONDS = 2;

export type Protocol = 'http' | 'https' | 'fastcgi' | 'uwsgi' | 'other';

/** What nginx speaks to this backend, from the pass directive and its scheme. */
export function nginxProtocol(module: string, scheme: string): { code: string; words: string } {
  if (module === 'proxy') return scheme === 'https' ? { code: 'https', words: 'HTTPS (proxy_pass https://)' } : { code: 'http', words: 'plain HTTP (proxy_pass http://)' };
  if (module === 'fastcgi') return { code: 'fastcgi', words: 'FastCGI (fastcgi_pass)' };
  if (module === 'uwsgi') return { code: 'uwsgi', words: 'the uwsgi protocol (uwsgi_pass)' };
  if (module === 'grpc') return { code: 'grpc', words: scheme === 'grpcs' ? 'gRPC over TLS (grpc_pass grpcs://)' : 'gRPC, HTTP/2 frames (grpc_pass grpc://)' };
  return { code: module, words: `${module} (${module}_pass)` };
}

const PROCESS_PROTOCOL: [RegExp, Protocol][] = [
  [/php-fpm|php-cgi|fcgi/i, 'fastcgi'],
  [/uwsgi/i, 'uwsgi'],
];

interface Reading {
  protocol: Protocol | null;
  seen: string;
  evidence: Evidence[];
}

function probeUrl(server: ServerAddress, path: string, scheme: string): string {
  if (server.kind === 'unix') return `${scheme}://localhost${path}`;
  return `${scheme}://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}${path}`;
}

/**
 * The protocols nginx may speak that we can tell a mismatch for: a gRPC backend answers no HTTP/1 request,
 * so one that does (with HTTP/1, TLS or FastCGI) is not gRPC. scgi would need a probe we do not have.
 */
const JUDGED = new Set(['http', 'https', 'fastcgi', 'uwsgi', 'grpc']);

/** What the backend speaks, from the probes, strongest sign first: a TLS handshake, a FastCGI record, an HTTP answer, the listener's name, any other greeting. */
export function readProtocol(server: ServerAddress, results: readonly CommandResult[], nginxPids: ReadonlySet<number>): Reading {
  const evidence: Evidence[] = [];
  const tlsRun = results.find((r) => r.argv.includes('s_client'));
  const rawRun = results.find((r) => r.argv.includes('raw-probe'));
  const httpRun = results.find((r) => r.argv[0] === 'curl');
  const ssRun = results.find((r) => r.argv.join(' ') === SS.join(' '));

  const tls = tlsRun ? parseSClient(tlsRun) : null;
  if (tlsRun && tls) {
    evidence.push({
      command: shownCommand(tlsRun.argv.slice(4)),
      lines: [tls.established ? `TLS handshake completed: ${tls.protocol ?? 'TLS'}${tls.subject ? `, certificate ${tls.subject}` : ''}` : `no TLS handshake: ${tls.reason ?? tls.failure}`],
    });
  }
  const raw = rawRun ? parseRawProbe(rawRun) : null;
  if (raw) {
    const answer = raw.bytes.length
      ? `answered ${raw.bytes.length} bytes: ${showBytes(raw.bytes, 60)}`
      : raw.end === 'quiet'
        ? 'no answer (it waits for more)'
        : raw.end === 'reset'
          ? 'reset the connection'
          : raw.connected
            ? 'closed the connection without a word'
            : 'could not connect';
    evidence.push({ probe: 'a FastCGI management record (FCGI_GET_VALUES), sent with bash /dev/tcp', lines: [answer] });
  }
  const http = httpRun ? parseHttpProbe(httpRun) : null;
  if (httpRun && http) {
    evidence.push({ command: shownCommand(httpRun.argv), lines: [http.status !== null ? `answered HTTP ${http.status}` : `no HTTP answer: ${http.message ?? http.error ?? 'nothing'}`] });
  }
  // nginx's pids are nginx's box's; on the backend's own box they name other processes.
  const mine = sameBox(ssRun, httpRun) ? nginxPids : new Set<number>();
  const owners: Listener[] = ssRun ? listenersAt(server, parseSs(ssRun.stdout)).filter((l) => l.pid === null || !mine.has(l.pid)) : [];
  const owner = owners.find((l) => l.process)?.process ?? null;
  if (unseen(ssRun)) evidence.push({ lines: [`which program listens at ${server.target} is not known: the backend's box was not examined (no host of this session is that box)`] });
  else
    evidence.push({
      command: shownCommand(SS),
      lines: [
        owners.length ? `${server.target} is held by ${owners.map((l) => `${l.process ?? '?'}${l.pid ? ` pid ${l.pid}` : ''}`).join(', ')}` : `no listener at ${server.target} shows its process`,
      ],
    });

  if (tls?.established) return { protocol: 'https', seen: `HTTPS: a TLS handshake with it completes (${tls.protocol ?? 'TLS'}${tls.subject ? `, certificate ${tls.subject}` : ''})`, evidence };
  if (raw && isFastCgiRecord(raw.bytes)) return { protocol: 'fastcgi', seen: `FastCGI: it answers a FastCGI management record with a FastCGI record${owner ? ` (${owner})` : ''}`, evidence };
  if (http?.status !== null && http?.status !== undefined) return { protocol: 'http', seen: `plain HTTP: it answers an HTTP request with status ${http.status}`, evidence };
  if (raw && startsWithHttp(raw.bytes))
    return { protocol: 'http', seen: `plain HTTP: it answers even FastCGI bytes with "${showBytes(raw.bytes.slice(0, raw.bytes.indexOf(13) > 0 ? raw.bytes.indexOf(13) : 40))}"`, evidence };
  const byName = PROCESS_PROTOCOL.find(([re]) => owner !== null && re.test(owner));
  if (byName) return { protocol: byName[1], seen: `${byName[1] === 'fastcgi' ? 'FastCGI' : 'uwsgi'}: ${owner} listens there`, evidence };
  if (raw?.bytes.length && !isTlsRecord(raw.bytes)) return { protocol: 'other', seen: `neither HTTP nor FastCGI: it greets with "${showBytes(raw.bytes, 60)}"${owner ? ` (${owner})` : ''}`, evidence };
  return { protocol: null, seen: 'nothing that tells its protocol', evidence };
}

/** The errors whose next step, for a backend that speaks HTTP, reads its response head (error-log's invalid-header and wrong-protocol). */
const RESPONSE_HEAD_KINDS = new Set(['invalid-header', 'invalid-response', 'fastcgi-protocol', 'http2-framing', 'no-valid-http-header']);

const PROTOCOL_NAMES: Record<Protocol, string> = { http: 'HTTP', https: 'HTTPS', fastcgi: 'FastCGI', uwsgi: 'uwsgi', other: 'its own protocol' };
const OUTCOMES = ['speaks-https', 'speaks-fastcgi', 'speaks-http', 'speaks-other', 'matches', 'unclear'] as const;
type Outcome = (typeof OUTCOMES)[number];

const OUTCOME_OF: Record<Protocol, Outcome> = { https: 'speaks-https', fastcgi: 'speaks-fastcgi', http: 'speaks-http', uwsgi: 'speaks-other', other: 'speaks-other' };

/**
 * Does the backend speak the protocol nginx speaks to it? Probes it directly, bypassing nginx: a TLS
 * handshake, a FastCGI management record, an HTTP request, and the name of the process that listens.
 */
export const backendProtocol = defineCheck({
  id: 'backend.protocol',
  guide: 'upstream-config',
  outcomes: OUTCOMES,
  needs: ['upstream.module', 'upstream.scheme', 'upstream.kind', 'upstream.target', 'request.path', 'request.hostHeader', 'error.latest', 'nginx.masterPid'],
  learns: ['protocol.nginx'],
  learnsOn: Object.fromEntries(['speaks-https', 'speaks-fastcgi', 'speaks-http', 'speaks-other'].map((o) => [o, ['protocol.backend', 'protocol.seen'] as const])),

  plan(facts, done) {
    if (done.length) return [];
    const server = failedServer(facts);
    if (!server || !JUDGED.has(nginxProtocol(need(facts, 'upstream.module'), need(facts, 'upstream.scheme')).code)) return [];
    const path = upstreamPath(facts);
    // Ask in HTTPS when nginx does: a TLS backend may answer plain HTTP with a 400 of its own.
    const tls = need(facts, 'upstream.scheme') === 'https';
    const http: CommandSpec = {
      argv: httpProbeCommand(probeUrl(server, path, tls ? 'https' : 'http'), {
        timeoutSeconds: PROBE_SECONDS,
        hostHeader: need(facts, 'request.hostHeader'),
        insecure: tls,
        ...(server.kind === 'unix' ? { unixSocket: server.socket } : {}),
      }),
      timeoutMs: (PROBE_SECONDS + 5) * 1000,
    };
    // A unix socket is on nginx's box; the runner keeps a backend command there for it.
    if (server.kind === 'unix') return [http, onBackend({ argv: SS })];
    const serverName = isTlsName(server.host) ? server.host : undefined;
    // nginx could not read the backend's response head: when the backend speaks HTTP, the next step reads
    // that head byte for byte (backend.response). Asked in this round, it costs that step no round trip.
    const head = RESPONSE_HEAD_KINDS.has(facts['error.kind'] ?? '') ? responseHeadProbe(facts) : null;
    return [
      http,
      // Which process listens is the backend box's view; the probes are nginx's.
      onBackend({ argv: SS }),
      { argv: rawProbeCommand(server.host, server.port, FCGI_GET_VALUES, { readSeconds: 1, block: 512, reads: 1 }), timeoutMs: 8000 },
      // Empty stdin: s_client ends right after the handshake instead of waiting for input.
      { argv: sClientCommand({ host: server.host, port: server.port, seconds: TLS_SECONDS, ...(serverName ? { serverName } : {}) }), stdin: '', timeoutMs: (TLS_SECONDS + 5) * 1000 },
      ...(head ? [head] : []),
    ];
  },

  interpret(facts, results) {
    const nginx = nginxProtocol(need(facts, 'upstream.module'), need(facts, 'upstream.scheme'));
    const server = failedServer(facts);
    const base: KnownFacts = { 'protocol.nginx': nginx.words };
    if (!server) return { outcome: 'unclear', facts: base, summary: 'the failed server has no address to probe', evidence: [] };
    if (!JUDGED.has(nginx.code)) return { outcome: 'unclear', facts: base, summary: `a ${nginx.code} backend's protocol is not probed here`, evidence: [] };
    // The response-head probe asked for the next step is no protocol probe of this one.
    const head = responseHeadProbe(facts)?.argv.join('\0');
    const probes = results.filter((r) => r.argv.join('\0') !== head);
    const reading = readProtocol(server, probes, new Set([need(facts, 'nginx.masterPid')]));
    const evidence = [{ lines: [`nginx speaks ${nginx.words} to ${server.target}`] }, ...reading.evidence];
    if (reading.protocol === null) {
      return { outcome: 'unclear', facts: base, summary: `cannot tell what ${server.target} speaks: no probe got an answer that names a protocol`, evidence };
    }
    if (reading.protocol === nginx.code) {
      return { outcome: 'matches', facts: base, summary: `${server.target} speaks ${PROTOCOL_NAMES[reading.protocol]}, as nginx does`, evidence };
    }
    return {
      outcome: OUTCOME_OF[reading.protocol],
      facts: { ...base, 'protocol.backend': reading.protocol, 'protocol.seen': reading.seen },
      summary: `nginx speaks ${nginx.words}, but ${server.target} speaks ${reading.seen}`,
      evidence,
    };
  },
});
