import { shownCommand } from '../shell/quote.js';
import { dirname } from 'node:path';
import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { upstreamTls, type UpstreamTls } from '../nginx/upstream-tls.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { certNameCovers, isTlsName, parseSClient, parseX509Names, sClientCommand, TLS_VERSIONS, X509_NAMES, type SClientResult, type TlsVersion } from '../system/openssl.js';
import { defineCheck, type CheckResult } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { dialledAddress, showDialled } from '../facts/dialled.js';
import { routeOf } from '../facts/route.js';

const SECONDS = 5;
const MAX_NAMES = 2;
// Verify errors that mean "nginx does not trust who signed this": no issuer known, self-signed, incomplete chain.
const UNTRUSTED = new Set([2, 18, 19, 20, 21, 22, 27]);
const NAME_MISMATCH = 62;

function settingsOf(facts: KnownFacts): UpstreamTls {
  const route = routeOf(facts);
  const tls = route ? upstreamTls(route, need(facts, 'nginx.version'), dirname(need(facts, 'nginx.confPath'))) : null;
  if (!tls) throw new Error('the request no longer routes to an upstream');
  return tls;
}

function versionRange(protocols: string[]): { minProtocol?: TlsVersion; maxProtocol?: TlsVersion } {
  const known = TLS_VERSIONS.filter((v) => protocols.includes(v));
  return known.length ? { minProtocol: known[0]!, maxProtocol: known.at(-1)! } : {};
}

/** Names worth sending as SNI when nginx sends none, or a wrong one: nginx's own name, then the request's Host. */
function candidateNames(facts: KnownFacts, tls: UpstreamTls): string[] {
  const host = need(facts, 'request.hostHeader').replace(/:\d+$/, '').replace(/\.$/, '');
  const names = [tls.name, host].filter((n) => isTlsName(n) && !(tls.sendsSni && n === tls.name));
  return [...new Set(names)].slice(0, MAX_NAMES);
}

interface Layout {
  host: string;
  port: number;
  asNginx: string[];
  chain: string[];
  withNames: { name: string; argv: string[] }[];
  http: string[];
}

/** The probes, in the order they run: as nginx does it, the open chain, each candidate SNI, plain HTTP. */
function layout(facts: KnownFacts): Layout | null {
  const target = dialledAddress(facts);
  if (target?.kind !== 'tcp') return null;
  const tls = settingsOf(facts);
  const range = versionRange(tls.protocols);
  const base = { host: target.host, port: target.port, seconds: SECONDS };
  const sni = tls.sendsSni && isTlsName(tls.name) ? tls.name : undefined;
  const asNginx = sClientCommand({
    ...base,
    ...range,
    ...(sni ? { serverName: sni } : {}),
    ...(tls.verify ? { trust: tls.trusted, verifyDepth: tls.verifyDepth, ...(isTlsName(tls.name) ? { verifyName: tls.name } : {}) } : {}),
  });
  const names = candidateNames(facts, tls);
  const chainName = sni ?? names[0];
  const chain = sClientCommand({ ...base, showCerts: true, ...(chainName ? { serverName: chainName } : {}) });
  const withNames = names.map((name) => ({ name, argv: sClientCommand({ ...base, ...range, serverName: name }) }));
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const http = httpProbeCommand(`http://${host}:${target.port}/`, { timeoutSeconds: 3 });
  return { host: target.host, port: target.port, asNginx, chain, withNames, http };
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const runOf = (results: readonly CommandResult[], argv: string[]) => results.find((r) => same(r.argv, argv));

function shortLines(run: CommandResult, parsed: SClientResult): string[] {
  if (parsed.established) {
    return [
      `handshake done: ${parsed.protocol ?? '?'}, certificate ${parsed.subject ?? '?'}${parsed.issuer ? ` issued by ${parsed.issuer}` : ''}`,
      ...(parsed.verification ? [`verification: ${parsed.verification}`] : []),
    ];
  }
  const verify = parsed.verifyErrors.at(-1);
  return [
    `handshake failed: ${parsed.reason ?? parsed.failure ?? `exit ${run.code}`}${parsed.alert !== null ? ` (TLS alert ${parsed.alert})` : ''}`,
    ...(verify ? [`verify error ${verify.num}: ${verify.text}`] : []),
  ];
}

/** The backend's certificate names: SANs from openssl x509 when it ran, else the subject's CN. */
function certNames(results: readonly CommandResult[], chain: SClientResult | null): string[] {
  const x509 = resultOf(results, ...X509_NAMES);
  if (x509?.code === 0) return parseX509Names(x509.stdout).names;
  const cn = chain?.subject ? /CN\s*=\s*([^,/]+)/.exec(chain.subject)?.[1]?.trim() : undefined;
  return cn ? [cn] : [];
}

/** A name to put in proxy_ssl_name: one of ours the certificate covers, else the certificate's first plain name. */
function nameFromCert(names: string[], candidates: string[]): string {
  const covered = candidates.find((c) => names.some((n) => certNameCovers(n, c)));
  return covered ?? names.find((n) => !n.startsWith('*.') && !n.startsWith('IP:') && isTlsName(n)) ?? '';
}

const OUTCOMES = ['plain-http', 'needs-sni', 'name-mismatch', 'untrusted', 'versions', 'handshake-ok', 'no-connection', 'other'] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * Shakes hands with the https upstream the way nginx does (same SNI, trust, versions), then changes one thing
 * at a time: a server name, no version limit, no TLS at all. What makes the handshake work names the cause.
 */
export const upstreamTlsCheck = defineCheck({
  id: 'upstream.tls',
  guide: 'tls',
  outcomes: OUTCOMES,
  needs: ['upstream.target', 'nginx.config', 'nginx.version', 'nginx.confPath', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  learns: ['tls.nginxName', 'tls.sendsSni', 'tls.nginxProtocols', 'tls.reason'],
  learnsOn: {
    'needs-sni': ['tls.serverName'],
    'name-mismatch': ['tls.serverName', 'tls.certNames'],
    untrusted: ['tls.issuer'],
    versions: ['tls.protocol'],
  },

  plan(facts, done) {
    const l = layout(facts);
    if (!l) return [];
    const stdin = '';
    if (done.length === 0) {
      const timeoutMs = (SECONDS + 3) * 1000;
      return [l.asNginx, l.chain, ...l.withNames.map((n) => n.argv)].map((argv): CommandSpec => ({ argv, stdin, timeoutMs })).concat({ argv: l.http, timeoutMs: 8000 });
    }
    const chain = runOf(done, l.chain);
    const pem = chain ? parseSClient(chain).pem : null;
    if (pem && !resultOf(done, ...X509_NAMES)) return [{ argv: X509_NAMES, stdin: pem }];
    return [];
  },

  interpret(facts, results) {
    const tls = settingsOf(facts);
    const base: KnownFacts = { 'tls.nginxName': tls.name, 'tls.sendsSni': tls.sendsSni, 'tls.nginxProtocols': tls.protocols };
    const l = layout(facts);
    const setting = [
      `nginx sends SNI: ${tls.sendsSni ? tls.name : 'none'} (${tls.module}_ssl_server_name ${tls.serverNameOn ? 'on' : 'off'}), name checked: ${tls.name}`,
      `verification: ${tls.verify ? `on, trusting ${tls.trusted ?? 'nothing (no trusted certificate set)'}` : 'off'}; versions offered: ${tls.protocols.join(' ')}`,
    ];
    if (!l) {
      return { outcome: 'other', facts: { ...base, 'tls.reason': 'not a TCP address' }, summary: 'cannot test TLS to this upstream', evidence: [{ lines: setting }] };
    }
    const where = showDialled({ kind: 'tcp', host: l.host, port: l.port });
    const asRun = runOf(results, l.asNginx);
    const chainRun = runOf(results, l.chain);
    const httpRun = runOf(results, l.http);
    const as = asRun ? parseSClient(asRun) : null;
    const chain = chainRun ? parseSClient(chainRun) : null;
    const named = l.withNames.map((n) => ({ ...n, run: runOf(results, n.argv) })).map((n) => ({ ...n, parsed: n.run ? parseSClient(n.run) : null }));
    const http = httpRun ? parseHttpProbe(httpRun) : null;

    const evidence: Evidence[] = [{ lines: setting, note: `how nginx shakes hands with ${where}` }];
    if (asRun && as) evidence.push({ command: shownCommand(asRun.argv), lines: shortLines(asRun, as), note: 'the handshake as nginx makes it' });
    for (const n of named) if (n.run && n.parsed) evidence.push({ command: shownCommand(n.run.argv), lines: shortLines(n.run, n.parsed), note: `with SNI ${n.name}` });
    if (chainRun && chain) evidence.push({ command: shownCommand(chainRun.argv), lines: shortLines(chainRun, chain), note: 'any version, nothing verified' });

    const reason = as?.verifyErrors.at(-1)?.text ?? as?.reason ?? 'no answer';
    const learned = { ...base, 'tls.reason': reason };
    const result = (outcome: Outcome, summary: string, extra: KnownFacts = {}): CheckResult<Outcome> => ({ outcome, facts: { ...learned, ...extra }, summary, evidence });

    if (!as) return result('other', `could not run openssl s_client against ${where}`);
    if (as.established) return result('handshake-ok', `the TLS handshake with ${where} works now, as nginx makes it`);
    if (as.failure === 'connect') return result('no-connection', `${where} does not accept TCP connections now (errno ${as.connectErrno})`);
    if (as.failure === 'plain-text' || (as.failure === 'timeout' && http?.status !== null && http?.status !== undefined)) {
      if (httpRun && http)
        evidence.push({
          command: shownCommand(httpRun.argv),
          lines: [http.status !== null ? `plain HTTP answers: ${http.status}` : `no plain HTTP answer either: ${http.error ?? http.message ?? ''}`],
        });
      return result('plain-http', `${where} does not speak TLS: ${http?.status != null ? `it answers plain HTTP (${http.status})` : `openssl says "${as.reason}"`}`);
    }
    const verifyError = as.verifyErrors.at(-1);
    if (as.failure === 'verify' && verifyError?.num === NAME_MISMATCH) {
      const names = certNames(results, chain);
      const serverName = nameFromCert(names, candidateNames(facts, { ...tls, sendsSni: false }));
      evidence.push({ lines: [`the certificate is for: ${names.join(', ') || 'unknown'}`] });
      return result('name-mismatch', `the certificate of ${where} is not for ${tls.name}, but for ${names.join(', ') || 'another name'}`, { 'tls.serverName': serverName, 'tls.certNames': names });
    }
    if (as.failure === 'verify' && verifyError && UNTRUSTED.has(verifyError.num)) {
      const issuer = chain?.issuer ?? 'unknown';
      return result('untrusted', `nginx does not trust the certificate of ${where}: ${verifyError.text} (issuer: ${issuer})`, { 'tls.issuer': issuer });
    }
    if (as.failure === 'versions' && chain?.established && chain.protocol && !tls.protocols.includes(chain.protocol)) {
      return result('versions', `${where} speaks ${chain.protocol} only; nginx offers ${tls.protocols.join(' ')}`, { 'tls.protocol': chain.protocol });
    }
    // A certificate nginx rejects for another reason (expired, not yet valid) is not about the server name.
    if (as.failure === 'verify') return result('other', `the certificate of ${where} does not verify: ${reason}`);
    const works = named.find((n) => n.parsed?.established);
    if (works) return result('needs-sni', `${where} completes the handshake only when told the name ${works.name} (SNI)`, { 'tls.serverName': works.name });
    if (as.alert === 112) return result('needs-sni', `${where} refuses a handshake without the server name it expects (SNI)`, { 'tls.serverName': '' });
    return result('other', `the TLS handshake with ${where} fails: ${reason}`);
  },
});
