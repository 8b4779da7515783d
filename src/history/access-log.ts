/**
 * nginx's access logs: which files the config writes, in which log_format, and what each line says
 * (time, status, request and, where the format has them, $upstream_status, $upstream_addr and
 * $upstream_response_time). Pure; tested on lines nginx 1.22 wrote in the lab (test/fixtures/history/).
 */
import type { Directive, NginxConfig } from '../nginx/config-types.js';
import { lineTime } from '../system/backend-logs.js';

/** nginx's built-in format. */
export const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const UPSTREAM_FIELDS = ['$upstream_addr', '$upstream_status', '$upstream_response_time'] as const;

export interface AccessLog {
  path: string;
  format: string;
  /** The log_format's name ("combined" when none is given). */
  formatName: string;
}

function walk(directives: readonly Directive[], visit: (d: Directive) => void): void {
  for (const d of directives) {
    visit(d);
    if (d.block) walk(d.block, visit);
  }
}

/** Every access_log file the config names (not "off", not syslog:), with its format's text. */
export function accessLogs(config: NginxConfig, prefix: string): AccessLog[] {
  const formats = new Map<string, string>([['combined', COMBINED]]);
  walk(config.tree, (d) => {
    if (d.directive === 'log_format' && d.args[0])
      formats.set(
        d.args[0],
        d.args
          .slice(1)
          .filter((a) => !a.startsWith('escape='))
          .join(''),
      );
  });
  const out: AccessLog[] = [];
  walk(config.tree, (d) => {
    const file = d.args[0];
    if (d.directive !== 'access_log' || !file || file === 'off' || file.startsWith('syslog:') || file.includes('$')) return;
    const path = file.startsWith('/') ? file : `${prefix.replace(/\/?$/, '/')}${file}`;
    const formatName = d.args[1] && !d.args[1].includes('=') ? d.args[1] : 'combined';
    if (!out.some((l) => l.path === path)) out.push({ path, format: formats.get(formatName) ?? COMBINED, formatName });
  });
  return out;
}

/** The upstream fields a format lacks, and a log_format line that has them (the format plus what it lacks). */
export function missingUpstreamFields(format: string): { missing: string[]; suggestion: string | null } {
  const missing = UPSTREAM_FIELDS.filter((f) => !new RegExp(`\\${f}(?![a-z_])`).test(format));
  if (!missing.length) return { missing: [], suggestion: null };
  const added = `${format} ${missing.join(' ')}`.replace(/'/g, "\\'");
  return { missing: [...missing], suggestion: `log_format upstreamlog '${added}';` };
}

export interface AccessLine {
  time: number;
  status: number;
  path: string;
  upstreamStatus?: string;
  upstreamAddr?: string;
  upstreamTime?: string;
}

// Lists like "127.0.0.1:8002, 127.0.0.1:8001" or "502 : 200" (one item per server tried, groups by ' : ').
const LIST = '([^\\s,]+(?:(?:, | : )[^\\s,]+)*)';
const VALUE: Record<string, string> = {
  $time_local: '([^\\]]*)',
  $time_iso8601: '(\\S+)',
  $status: '(\\d{3})',
  $request: '((?:[^"\\\\]|\\\\.)*)',
  $upstream_addr: LIST,
  $upstream_status: LIST,
  $upstream_response_time: LIST,
};

/** A regex for lines of this format, and the variable each group holds. */
export function formatPattern(format: string): { re: RegExp; vars: string[] } {
  const vars: string[] = [];
  let source = '^';
  let at = 0;
  const variable = /\$\{?([a-z_][a-z0-9_]*)\}?/gi;
  for (let m = variable.exec(format); m; m = variable.exec(format)) {
    source += format.slice(at, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const name = `$${m[1]}`;
    vars.push(name);
    source += VALUE[name] ?? '(.*?)';
    at = m.index + m[0].length;
  }
  source += `${format.slice(at).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return { re: new RegExp(source), vars };
}

/** The lines of an access log that match its format, oldest first; lines that do not match are skipped. */
export function parseAccessLog(text: string, format: string, year: number): AccessLine[] {
  const { re, vars } = formatPattern(format);
  const at = (name: string) => vars.indexOf(name) + 1;
  const out: AccessLine[] = [];
  for (const line of text.split('\n')) {
    const m = re.exec(line.trimEnd());
    if (!m) continue;
    const stampAt = at('$time_local') || at('$time_iso8601');
    const time = stampAt ? lineTime(m[stampAt] ?? '', year) : null;
    const status = Number(m[at('$status')]);
    if (time === null || !at('$status') || !Number.isFinite(status)) continue;
    const request = at('$request') ? (m[at('$request')] ?? '') : '';
    const entry: AccessLine = { time, status, path: (/^\S+ (\S+)/.exec(request)?.[1] ?? '').split('?')[0] as string };
    if (at('$upstream_status')) entry.upstreamStatus = m[at('$upstream_status')];
    if (at('$upstream_addr')) entry.upstreamAddr = m[at('$upstream_addr')];
    if (at('$upstream_response_time')) entry.upstreamTime = m[at('$upstream_response_time')];
    out.push(entry);
  }
  return out;
}

/**
 * What the access log says about an episode: its 502s and 504s for the path within the window, and where
 * the format has them, the servers tried, their statuses and times ("2 × 504 for /slow; upstream
 * 127.0.0.1:8000 answered 504 after 2.002 s"). null when the log holds none of them.
 */
export function accessSummary(lines: readonly AccessLine[], path: string, from: number, to: number): string | null {
  const failed = lines.filter((l) => (l.status === 502 || l.status === 504) && l.time >= from && l.time <= to && (path === '' || l.path === path));
  if (!failed.length) return null;
  const byStatus = [502, 504].map((s) => [s, failed.filter((l) => l.status === s).length] as const).filter(([, n]) => n > 0);
  const head = `access log: ${byStatus.map(([s, n]) => `${n} × ${s}`).join(', ')} for ${path || 'every path'}`;
  const last = failed.at(-1) as AccessLine;
  if (last.upstreamAddr === undefined) return head;
  return `${head}; the last: upstream ${last.upstreamAddr} answered ${last.upstreamStatus ?? '-'} after ${last.upstreamTime ?? '-'} s`;
}
