/**
 * One HTTP request with curl, reduced to a single machine-readable line on stdout.
 *
 * The -w line is tab separated and starts with a marker so it can be found whatever else appears:
 *   badgateway-probe<TAB>http_code<TAB>time_total<TAB>time_starttransfer<TAB>size_header
 *     <TAB>remote_ip<TAB>remote_port<TAB>exitcode<TAB>errormsg
 * errormsg is last because it is free text. %{exitcode} and %{errormsg} need curl 7.75+ (Debian 12
 * ships 7.88.1); an older curl warns about the unknown variables on stderr and leaves those fields
 * empty, and the parser falls back to the process exit status and the stderr text.
 *
 * size_header counts every header byte curl received, status line included, so probing a backend
 * directly also answers "how big are its response headers" (header-too-big vs proxy_buffer_size).
 */

export type HttpProbeError = 'refused' | 'timeout' | 'dns' | 'reset' | 'empty-reply' | 'tls' | 'other';

export interface HttpProbeOptions {
  /** Sent as the Host header (the server_name nginx routes on). */
  hostHeader?: string;
  /** Talk HTTP over this unix socket instead of TCP (curl --unix-socket). */
  unixSocket?: string;
  /** Whole-request limit (curl --max-time). */
  timeoutSeconds: number;
  /** Skip TLS certificate verification (curl -k). */
  insecure?: boolean;
}

export interface HttpProbeResult {
  /** HTTP status; null when no response arrived (curl prints 000). */
  status: number | null;
  /** Milliseconds; null when curl printed no -w line at all (not found, bad option). */
  totalMs: number | null;
  firstByteMs: number | null;
  headerBytes: number | null;
  remoteIp: string | null;
  remotePort: number | null;
  /** curl's exit status as curl reported it (falls back to the process exit status). */
  curlExit: number | null;
  error?: HttpProbeError;
  message?: string;
}

export const HTTP_PROBE_MARK = 'badgateway-probe';

export const HTTP_PROBE_FORMAT = `${HTTP_PROBE_MARK}\\t%{http_code}\\t%{time_total}\\t%{time_starttransfer}\\t%{size_header}` + `\\t%{remote_ip}\\t%{remote_port}\\t%{exitcode}\\t%{errormsg}\\n`;

export function httpProbeCommand(url: string, opts: HttpProbeOptions): string[] {
  if (!Number.isFinite(opts.timeoutSeconds) || opts.timeoutSeconds <= 0) {
    throw new RangeError(`not a timeout in seconds: ${opts.timeoutSeconds}`);
  }
  if (/[\r\n\x00]/.test(url)) throw new RangeError('URL contains a line break');
  const argv = [
    'curl',
    '-q', // must come first: ignore ~/.curlrc, which could add -L, a proxy or other surprises
    '-sS',
    '-o',
    '/dev/null',
    '--globoff', // [ ] { } in a path are literal, and http://[::1]:8080/ is not a glob
    '--noproxy',
    '*', // talk to the address itself even if http_proxy is set on the box
    '--max-time',
    String(opts.timeoutSeconds),
    '-w',
    HTTP_PROBE_FORMAT,
  ];
  // No -L: a redirect is an answer, not something to follow.
  if (opts.unixSocket !== undefined) argv.push('--unix-socket', opts.unixSocket);
  if (opts.hostHeader !== undefined) {
    if (/[\r\n\x00]/.test(opts.hostHeader)) throw new RangeError('Host header contains a line break');
    argv.push('-H', `Host: ${opts.hostHeader}`);
  }
  if (opts.insecure) argv.push('-k');
  argv.push('--url', url); // --url: a URL starting with "-" can never be read as an option
  return argv;
}

const TLS_EXITS = new Set([35, 51, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 98]);

function ms(seconds: string | undefined): number | null {
  if (seconds === undefined || seconds === '') return null;
  const n = Number(seconds);
  return Number.isFinite(n) ? Math.round(n * 1_000_000) / 1000 : null;
}

function int(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  return Number(text);
}

/** The curl error line on stderr ("curl: (7) Failed to connect ...") without its prefix. */
function stderrMessage(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const curlLine = [...lines].reverse().find((l) => /^curl: \(\d+\)/.test(l));
  if (curlLine !== undefined) return curlLine.replace(/^curl: \(\d+\)\s*/, '');
  return lines.at(-1);
}

function classify(exit: number, message: string): HttpProbeError {
  if (exit === 6) return 'dns';
  if (exit === 7) return 'refused';
  if (exit === 28) return 'timeout';
  if (exit === 52) return 'empty-reply';
  if ((exit === 55 || exit === 56) && /reset|broken pipe/i.test(message)) return 'reset';
  if (TLS_EXITS.has(exit)) return 'tls';
  return 'other';
}

export function parseHttpProbe(result: { code: number | null; stdout: string; stderr: string }): HttpProbeResult {
  const line = result.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(`${HTTP_PROBE_MARK}\t`));
  const fields = line === undefined ? [] : line.split('\t');
  const [, code, total, startTransfer, sizeHeader, remoteIp, remotePort, exitText, ...rest] = fields;
  const errormsg = rest.join('\t').trim();

  const status = int(code);
  const curlExit = int(exitText) ?? result.code;
  const out: HttpProbeResult = {
    status: status === null || status === 0 ? null : status,
    totalMs: ms(total),
    firstByteMs: ms(startTransfer),
    headerBytes: int(sizeHeader),
    remoteIp: remoteIp === undefined || remoteIp === '' ? null : remoteIp,
    remotePort: int(remotePort) || null,
    curlExit,
  };

  if (curlExit === 0) return out;
  const message = errormsg !== '' ? errormsg : stderrMessage(result.stderr);
  if (curlExit === null) {
    out.error = 'other';
    out.message = message ?? 'curl did not finish';
    return out;
  }
  out.error = classify(curlExit, message ?? '');
  if (message !== undefined) out.message = message;
  return out;
}
