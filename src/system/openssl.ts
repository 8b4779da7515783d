/**
 * TLS handshakes with `openssl s_client`, run the way nginx would shake hands with an https upstream, and
 * what their output means. What OpenSSL 3.0 prints (real runs in test/fixtures/network/s-client-*.json):
 *
 *   -brief, success:   CONNECTION ESTABLISHED / Protocol version: TLSv1.3 / Peer certificate: CN = x /
 *                      Verification: OK | Verification error: unable to verify the first certificate
 *   verify failure:    verify error:num=20:unable to get local issuer certificate
 *                      ...:error:0A000086:SSL routines:...:certificate verify failed:...
 *   an alert:          ...:error:0A000458:SSL routines:ssl3_read_bytes:tlsv1 unrecognized name:...:SSL alert number 112
 *   plain HTTP:        ...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:...
 *   refused:           connect:errno=111
 *   -showcerts:        the chain as " 0 s:CN = x" / "   i:CN = CA" and PEM blocks; "Verify return code: 21 (...)"
 */

export interface SClientOptions {
  host: string;
  port: number;
  seconds: number;
  /** Sent as SNI (-servername); nothing is sent without it. */
  serverName?: string;
  /**
   * Verify the certificate and fail the handshake when it does not verify (-verify_return_error), trusting
   * only this file (null: trusting nothing, which is what nginx does without proxy_ssl_trusted_certificate).
   * Undefined: verification is reported but does not fail the handshake.
   */
  trust?: string | null;
  /** With trust: the name the certificate must carry (-verify_hostname), as nginx checks proxy_ssl_name. */
  verifyName?: string;
  /** With trust: how many issuers above the certificate may be checked (nginx's proxy_ssl_verify_depth). */
  verifyDepth?: number;
  minProtocol?: TlsVersion;
  maxProtocol?: TlsVersion;
  /** The certificate chain in full (-showcerts) instead of the one-screen summary (-brief). */
  showCerts?: boolean;
}

export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const ADDRESS = /^[A-Za-z0-9_.:-]+$/;

/** A name we may send as SNI or verify against: letters, digits, dots and dashes. */
export function isTlsName(name: string): boolean {
  return name.length <= 253 && NAME.test(name) && !isIpLiteral(name);
}

export function isIpLiteral(host: string): boolean {
  const plain = host.replace(/^\[|\]$/g, '');
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(plain) || (plain.includes(':') && /^[0-9A-Fa-f:.]+$/.test(plain));
}

/** `timeout ... openssl s_client ...`: run it with empty stdin so it exits after the handshake. */
export function sClientCommand(o: SClientOptions): string[] {
  const host = o.host.replace(/^\[|\]$/g, '');
  if (!ADDRESS.test(host)) throw new RangeError(`not a host name or address: ${JSON.stringify(o.host)}`);
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new RangeError(`not a TCP port: ${o.port}`);
  if (!(o.seconds > 0)) throw new RangeError(`not a timeout in seconds: ${o.seconds}`);
  for (const name of [o.serverName, o.verifyName]) {
    if (name !== undefined && !isTlsName(name)) throw new RangeError(`not a TLS server name: ${JSON.stringify(name)}`);
  }
  const connect = host.includes(':') ? `[${host}]:${o.port}` : `${host}:${o.port}`;
  const argv = ['timeout', '-k', '1', String(o.seconds), 'openssl', 's_client', '-connect', connect, o.showCerts ? '-showcerts' : '-brief'];
  if (o.serverName !== undefined) argv.push('-servername', o.serverName);
  else argv.push('-noservername');
  if (o.trust !== undefined) {
    argv.push('-verify_return_error');
    argv.push(...(o.trust === null ? ['-no-CAfile'] : ['-CAfile', o.trust]), '-no-CApath', '-no-CAstore');
    if (o.verifyName !== undefined) argv.push('-verify_hostname', o.verifyName);
    if (o.verifyDepth !== undefined && Number.isInteger(o.verifyDepth) && o.verifyDepth >= 0) argv.push('-verify_depth', String(o.verifyDepth));
  }
  if (o.minProtocol) argv.push('-min_protocol', o.minProtocol);
  if (o.maxProtocol) argv.push('-max_protocol', o.maxProtocol);
  return argv;
}

export type TlsFailure = 'connect' | 'timeout' | 'plain-text' | 'verify' | 'alert' | 'versions' | 'other';

export interface SClientResult {
  /** The handshake completed. */
  established: boolean;
  failure: TlsFailure | null;
  /** OpenSSL's reason, e.g. "tlsv1 unrecognized name", "wrong version number", "certificate verify failed". */
  reason: string | null;
  alert: number | null;
  /** errno of a failed TCP connect (111, 113, ...). */
  connectErrno: number | null;
  /** Every "verify error:num=N:text" the chain produced, in order. */
  verifyErrors: { num: number; text: string }[];
  /** "OK", or the text after "Verification error:" / "Verify return code: N (...)". */
  verification: string | null;
  protocol: string | null;
  /** The server certificate's subject and issuer as OpenSSL writes them ("CN = backend.test"). */
  subject: string | null;
  issuer: string | null;
  /** The server certificate as PEM (with -showcerts). */
  pem: string | null;
}

const PLAIN_TEXT = /wrong version number|packet length too long|http request|record layer failure/i;
const VERSIONS = /protocol version|unsupported protocol|no protocols available|version too low|version too high/i;

export function parseSClient(run: { code: number | null; stdout: string; stderr: string }): SClientResult {
  const text = `${run.stderr}\n${run.stdout}`;
  const verifyErrors = [...text.matchAll(/^verify error:num=(\d+):(.*)$/gm)].map((m) => ({ num: Number(m[1]), text: m[2]!.trim() }));
  const errorLine = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:\n]+)(?::[^\n]*?SSL alert number (\d+))?/m.exec(text);
  const connectErrno = /^connect:errno=(\d+)/m.exec(text);
  // -brief: "Protocol version: TLSv1.3"; full output: "New, TLSv1.3, Cipher is ...", and "Protocol  : TLSv1.3" when a session came.
  const protocol = /^Protocol version: (\S+)/m.exec(text) ?? /^New, (TLSv[\d.]+|SSLv3), Cipher is/m.exec(text) ?? /^\s*Protocol\s*: (\S+)/m.exec(text);
  const verification = /^Verification: (OK)/m.exec(text)?.[1] ?? /^Verification error: (.*)$/m.exec(text)?.[1] ?? /^Verify return code: \d+ \((.*)\)$/m.exec(text)?.[1] ?? null;
  const peer = /^Peer certificate: (.*)$/m.exec(text)?.[1] ?? /^ 0 s:(.*)$/m.exec(text)?.[1] ?? /^subject=(.*)$/m.exec(text)?.[1] ?? null;
  const issuer = /^ {3}i:(.*)$/m.exec(text)?.[1] ?? /^issuer=(.*)$/m.exec(text)?.[1] ?? null;
  const pem = /-----BEGIN CERTIFICATE-----\n[\s\S]*?-----END CERTIFICATE-----\n?/.exec(run.stdout)?.[0] ?? null;
  const established = run.code === 0 && (/^CONNECTION ESTABLISHED$/m.test(text) || /^SSL handshake has read \d+ bytes/m.test(text)) && !errorLine;
  const reason = errorLine?.[1]?.trim() ?? null;

  let failure: TlsFailure | null = null;
  if (!established) {
    if (run.code === 124 || run.code === 137 || run.code === null) failure = 'timeout';
    else if (connectErrno) failure = 'connect';
    else if (reason && PLAIN_TEXT.test(reason)) failure = 'plain-text';
    else if (reason && /certificate verify failed/i.test(reason)) failure = 'verify';
    else if (reason && VERSIONS.test(reason)) failure = 'versions';
    else if (errorLine?.[2]) failure = 'alert';
    else failure = 'other';
  }
  return {
    established,
    failure,
    reason: failure === 'timeout' ? 'no answer to the handshake in time' : reason,
    alert: errorLine?.[2] ? Number(errorLine[2]) : null,
    connectErrno: connectErrno ? Number(connectErrno[1]) : null,
    verifyErrors,
    verification: verification?.trim() ?? null,
    protocol: protocol?.[1] ?? null,
    subject: peer?.trim() ?? null,
    issuer: issuer?.trim() ?? null,
    pem,
  };
}

/** `openssl x509 -noout -subject -issuer -enddate -ext subjectAltName`, given a PEM on stdin. */
export const X509_NAMES = ['openssl', 'x509', '-noout', '-subject', '-issuer', '-enddate', '-ext', 'subjectAltName'];

export interface CertNames {
  subject: string | null;
  issuer: string | null;
  notAfter: string | null;
  /** DNS names (and IP addresses, written "IP:...") the certificate is valid for: its SANs, else its CN. */
  names: string[];
}

export function parseX509Names(stdout: string): CertNames {
  const subject = /^subject=(.*)$/m.exec(stdout)?.[1]?.trim() ?? null;
  const issuer = /^issuer=(.*)$/m.exec(stdout)?.[1]?.trim() ?? null;
  const notAfter = /^notAfter=(.*)$/m.exec(stdout)?.[1]?.trim() ?? null;
  const sanBlock = /X509v3 Subject Alternative Name:[^\n]*\n((?:[ \t]+[^\n]*\n?)+)/.exec(stdout)?.[1] ?? '';
  const names = sanBlock
    .split(',')
    .map((s) => s.trim())
    .flatMap((entry) => {
      const m = /^(DNS|IP Address):(.+)$/.exec(entry);
      if (!m) return [];
      return m[1] === 'DNS' ? [m[2]!.trim()] : [`IP:${m[2]!.trim()}`];
    });
  const cn = subject ? /(?:^|[,/]\s*)CN\s*=\s*([^,/]+)/.exec(subject)?.[1]?.trim() : undefined;
  return { subject, issuer, notAfter, names: names.length ? names : cn ? [cn] : [] };
}

/** Does a certificate name (possibly "*.example.org") cover this host name? One wildcard label only. */
export function certNameCovers(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (!p.startsWith('*.')) return p === n;
  const rest = n.indexOf('.');
  return rest > 0 && n.slice(rest) === p.slice(1);
}
