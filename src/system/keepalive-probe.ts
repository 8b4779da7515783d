/**
 * How long a backend keeps an idle keep-alive connection open, measured with bash alone: one connection,
 * one HTTP/1.1 request, then wait and note when the backend closes it.
 *
 *   timeout -k 1 T bash --norc -c SCRIPT keepalive-probe HOST PORT PATH HOST_HEADER WAIT_SECONDS REUSE
 *
 * The script prints "sent TIME", the response's header lines as "header LINE", then either
 * "closed TIME" (the backend closed: read hit end of file or a reset) or "open TIME" (still open after
 * WAIT_SECONDS), and "last TIME": when the last byte of the response arrived. Times are bash's
 * $EPOCHREALTIME (seconds, microseconds after the point; `date +%s.%N` on bash < 5). The idle time the
 * backend allows is closed - last.
 *
 * With REUSE 1, a connection still open is then used again, as nginx would use a cached one: "reused
 * answered TIME" (a status line came back), "reused closed TIME" (end of file or a reset, without a word:
 * a backend that notices a stale connection only when it is used) or "reused silent" (nothing in 3 s).
 */

import { PROBE_BASH } from './probe-bash.js';

export const KEEPALIVE_PROBE_SCRIPT = [
  'LC_ALL=C',
  "trap '' PIPE",
  'now() { t=${EPOCHREALTIME:-$(date +%s.%N)}; }',
  'exec 3<>"/dev/tcp/$1/$2" || exit 3',
  'now; echo "sent $t"',
  `printf 'GET %s HTTP/1.1\\r\\nHost: %s\\r\\nUser-Agent: badgateway\\r\\n\\r\\n' "$3" "$4" >&3 || { echo "send-failed"; exit 0; }`,
  'head=40 last=',
  'for ((i = 0; i < 100000 && SECONDS < $5; i++)); do',
  '  line=',
  '  IFS= read -r -t 0.2 -u 3 line',
  '  rc=$?',
  '  now',
  '  if [[ -n $line ]] || ((rc == 0)); then',
  '    last=$t',
  '    if ((head > 0)); then',
  "      line=${line%$'\\r'}",
  '      if [[ -z $line ]]; then head=0; else echo "header $line"; ((head--)); fi',
  '    fi',
  '  fi',
  '  if ((rc > 0 && rc <= 128)); then echo "closed $t"; echo "last $last"; exit 0; fi',
  'done',
  'echo "open $t"',
  'echo "last $last"',
  '[[ $6 == 1 ]] || exit 0',
  `printf 'GET %s HTTP/1.1\\r\\nHost: %s\\r\\nUser-Agent: badgateway\\r\\n\\r\\n' "$3" "$4" >&3 || { now; echo "reused closed $t"; exit 0; }`,
  'line=',
  'IFS= read -r -t 3 -u 3 line',
  'rc=$?',
  'now',
  'if [[ -n $line ]]; then echo "reused answered $t"; elif ((rc > 128)); then echo "reused silent"; else echo "reused closed $t"; fi',
].join('\n');

export function keepAliveProbeCommand(host: string, port: number, path: string, hostHeader: string, waitSeconds: number, reuse = false): string[] {
  let target = host.trim();
  if (target.startsWith('[') && target.endsWith(']')) target = target.slice(1, -1);
  if (target === '' || target.includes('/') || /[\s\x00-\x1f]/.test(target)) throw new RangeError(`not a host name or address: ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a TCP port: ${port}`);
  if (/[\s\x00-\x1f]/.test(path) || !path.startsWith('/')) throw new RangeError(`not a request path: ${JSON.stringify(path)}`);
  if (/[\s\x00-\x1f]/.test(hostHeader)) throw new RangeError(`not a Host header: ${JSON.stringify(hostHeader)}`);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1) throw new RangeError(`not a wait in seconds: ${waitSeconds}`);
  // printf's format is fixed; PATH and HOST_HEADER go through %s, so a % in them is printed as is.
  return ['timeout', '-k', '1', String(waitSeconds + 9), ...PROBE_BASH, KEEPALIVE_PROBE_SCRIPT, 'keepalive-probe', target, String(port), path, hostHeader, String(waitSeconds), reuse ? '1' : '0'];
}

export interface KeepAliveProbe {
  connected: boolean;
  /** The status line, e.g. "HTTP/1.1 200 OK"; null when no response came. */
  status: string | null;
  /** The response's Connection and Keep-Alive headers, lower-cased values. */
  connection: string | null;
  keepAliveHeader: string | null;
  /** The backend closed the connection by itself (end of file or reset) within the wait. */
  closed: boolean;
  /** Milliseconds from the response's last byte to the close, or to the end of our wait. */
  idleMs: number | null;
  /** The backend keeps idle connections: an HTTP/1.1 answer without "Connection: close", or HTTP/1.0 with keep-alive. */
  keepsAlive: boolean;
  sendFailed: boolean;
  /** What using the idle connection again met (REUSE 1 and still open), or null. */
  reused: 'answered' | 'closed' | 'silent' | null;
  /** Milliseconds from the response's last byte to that second use's outcome. */
  reuseIdleMs: number | null;
}

function seconds(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text.trim().replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

function reuseOf(lines: readonly string[], last: number | null): Pick<KeepAliveProbe, 'reused' | 'reuseIdleMs'> {
  const line = lines.find((l) => l.startsWith('reused '));
  const m = line ? /^reused (answered|closed|silent)(?: (\S+))?$/.exec(line) : null;
  if (!m) return { reused: null, reuseIdleMs: null };
  const at = seconds(m[2]);
  return { reused: m[1] as 'answered' | 'closed' | 'silent', reuseIdleMs: at !== null && last !== null ? Math.max(0, Math.round((at - last) * 1000)) : null };
}

export function parseKeepAliveProbe(run: { code: number | null; stdout: string; stderr: string }): KeepAliveProbe {
  const lines = run.stdout.split('\n');
  const value = (word: string) => lines.find((l) => l.startsWith(`${word} `) || l === word)?.slice(word.length + 1);
  const headers = lines.filter((l) => l.startsWith('header ')).map((l) => l.slice('header '.length));
  const status = headers[0] !== undefined && /^HTTP\/\d/.test(headers[0]) ? headers[0] : null;
  const field = (name: string) => {
    const line = headers.slice(1).find((h) => h.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line === undefined
      ? null
      : line
          .slice(name.length + 1)
          .trim()
          .toLowerCase();
  };
  const connection = field('Connection');
  const closedAt = seconds(value('closed'));
  const openAt = seconds(value('open'));
  const last = seconds(value('last'));
  const end = closedAt ?? openAt;
  const idleMs = end !== null && last !== null ? Math.max(0, Math.round((end - last) * 1000)) : null;
  const http11 = status !== null && /^HTTP\/1\.1 /.test(status);
  const tokens = (connection ?? '').split(',').map((t) => t.trim());
  const keepsAlive = status !== null && !tokens.includes('close') && (http11 || tokens.includes('keep-alive'));
  return {
    connected: value('sent') !== undefined,
    status,
    connection,
    keepAliveHeader: field('Keep-Alive'),
    closed: closedAt !== null,
    idleMs,
    keepsAlive,
    sendFailed: lines.includes('send-failed'),
    ...reuseOf(lines, last),
  };
}
