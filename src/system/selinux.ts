/**
 * SELinux as the tools report it: getenforce, getsebool, and AVC denials from ausearch or the raw
 * audit log. Pure. Real output on a box without SELinux (Debian) is in test/fixtures/selinux/; the
 * enforcing-mode outputs there were written from the documented formats (see that folder's README).
 */

/** The boolean that lets nginx (httpd_t) connect to any port, not only those labelled for web services. */
export const BOOLEAN = 'httpd_can_network_connect';

export type SelinuxMode = 'enforcing' | 'permissive' | 'disabled' | 'absent';

/** getenforce prints Enforcing, Permissive or Disabled; no getenforce at all: no SELinux tools. */
export function parseGetenforce(result: { code: number | null; stdout: string; failure?: string }): SelinuxMode {
  if (result.failure === 'not-found') return 'absent';
  const word = result.stdout.trim().toLowerCase();
  if (word === 'enforcing' || word === 'permissive' || word === 'disabled') return word;
  return 'absent';
}

/** "httpd_can_network_connect --> off": the boolean's value; null when SELinux is off or the boolean unknown. */
export function parseGetsebool(stdout: string, name: string): boolean | null {
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+-->\s+(on|off)\b/.exec(line.trim());
    if (m && m[1] === name) return m[2] === 'on';
  }
  return null;
}

export interface AvcDenial {
  /** name_connect, connectto, write... */
  permission: string;
  comm: string | null;
  /** The TCP port of a denied name_connect (dest=). */
  port: number | null;
  source: string | null;
  target: string | null;
  tclass: string | null;
  /** permissive=1: logged, not enforced. */
  permissive: boolean;
  line: string;
}

function field(line: string, name: string): string | null {
  const m = new RegExp(`(?:^|\\s)${name}=("[^"]*"|\\S+)`).exec(line);
  return m ? (m[1] as string).replace(/^"|"$/g, '') : null;
}

/** AVC "denied" records, oldest first, from `ausearch -m avc` output or audit.log text. */
export function parseAvcDenials(text: string): AvcDenial[] {
  const out: AvcDenial[] = [];
  for (const line of text.split('\n')) {
    if (!/\btype=AVC\b/.test(line)) continue;
    const m = /avc:\s+denied\s+\{\s*([^}]*?)\s*\}/.exec(line);
    if (!m) continue;
    const dest = field(line, 'dest');
    out.push({
      permission: (m[1] as string).split(/\s+/)[0] as string,
      comm: field(line, 'comm'),
      port: dest && /^\d+$/.test(dest) ? Number(dest) : null,
      source: field(line, 'scontext'),
      target: field(line, 'tcontext'),
      tclass: field(line, 'tclass'),
      permissive: field(line, 'permissive') === '1',
      line: line.trim(),
    });
  }
  return out;
}

/** Denials of nginx connecting out over TCP (to this port, when given): the SELinux side of connect() (13). */
export function nginxConnectDenials(denials: readonly AvcDenial[], port?: number): AvcDenial[] {
  return denials.filter(
    (d) => d.permission === 'name_connect' && d.tclass === 'tcp_socket' && (d.comm === 'nginx' || /:httpd_t:/.test(d.source ?? '')) && (port === undefined || d.port === null || d.port === port),
  );
}

/** The port type in a denial's target context: "system_u:object_r:http_cache_port_t:s0" -> "http_cache_port_t". */
export function portType(denial: AvcDenial): string | null {
  return denial.target?.split(':')[2] ?? null;
}
