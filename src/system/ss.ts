import type { Listener } from '../facts/keys.js';

/**
 * Listening sockets from `ss -Hltnxp` (iproute2). What the real output looks like:
 *
 *   u_str LISTEN 0      4096   /run/php/php8.2-fpm.sock 16661       * 0 users:(("php-fpm8.2",pid=11374,fd=11),...)
 *   tcp   LISTEN 0      511                   127.0.0.1:8080  0.0.0.0:* users:(("nginx",pid=11294,fd=4),...)
 *   tcp   LISTEN 0      8                 127.0.0.1%lo:38106 0.0.0.0:*
 *   tcp   LISTEN 0      5                        [::1]:38102    [::]:* users:(("python3",pid=11268,fd=3))
 *   tcp   LISTEN 0      8           [::ffff:127.0.0.1]:38105       *:*
 *   tcp   LISTEN 0      8                         [::]:38107    [::]:*      (IPv6 only)
 *   tcp   LISTEN 0      5                            *:38104       *:*      (IPv6 socket that also takes IPv4)
 *
 * - Unix rows: the path (may contain spaces; "@name" is an abstract socket), the inode, then "* 0".
 * - Without -H there is a header line; with only -t (one netid) ss drops the Netid column.
 * - Without root, users:(...) appears only for the caller's own processes.
 * - users:(...) lists every process holding the socket, children usually first (an nginx worker
 *   before its master), so `pid` is the first one listed and `pids` has them all.
 *
 * Addresses are stored without brackets ("::1", "::ffff:127.0.0.1"); "*" stays "*". A "%lo" suffix
 * (SO_BINDTODEVICE or an IPv6 scope) goes to `iface`. netid is "tcp6" for bracketed addresses and "*".
 * Only LISTEN rows of tcp, u_str and u_seq are listeners; everything else is skipped.
 */
export function parseSs(stdout: string): Listener[] {
  const out: Listener[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    const listener = parseLine(line);
    if (listener !== null) out.push(listener);
  }
  return out;
}

const STATES = new Set(['LISTEN', 'UNCONN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSING', 'CLOSED', 'UNKNOWN']);

interface Proc {
  name: string;
  pid: number;
}

/** users:(("name",pid=1,fd=3),("name",pid=2,fd=3)); a name may itself hold quotes or commas. */
export function parseUsers(field: string): Proc[] {
  const procs: Proc[] = [];
  const re = /\("((?:[^"]|"(?!,pid=))*)",pid=(\d+),fd=\d+\)/g;
  for (const m of field.matchAll(re)) procs.push({ name: m[1]!, pid: Number(m[2]) });
  return procs;
}

function parseLine(line: string): Listener | null {
  let rest = line.trim();
  let procs: Proc[] = [];
  const users = /\s+(users:\(\(.*\)\))$/.exec(rest);
  if (users) {
    procs = parseUsers(users[1]!);
    rest = rest.slice(0, users.index).trimEnd();
  }

  let m = /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(rest);
  let netid: string;
  let state: string;
  let remainder: string;
  if (m && STATES.has(m[2]!)) {
    netid = m[1]!;
    state = m[2]!;
    remainder = m[5]!;
  } else {
    // No Netid column (ss -lt alone): STATE RECV-Q SEND-Q LOCAL PEER.
    m = /^(\S+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(rest);
    if (!m || !STATES.has(m[1]!)) return null; // the header line, or something that is not ss output
    netid = 'tcp';
    state = m[1]!;
    remainder = m[4]!;
  }
  if (state !== 'LISTEN') return null;

  const first = procs[0];
  const processFields = {
    process: first?.name ?? null,
    pid: first?.pid ?? null,
    ...(procs.length > 0 ? { pids: procs.map((p) => p.pid) } : {}),
  };

  if (netid === 'u_str' || netid === 'u_seq') {
    const u = /^(.*\S)\s+(\d+)\s+(\S+)\s+(\S+)$/.exec(remainder);
    if (!u) return null;
    return { netid: 'unix', address: u[1]!, port: null, path: u[1]!, ...processFields };
  }
  if (netid !== 'tcp') return null;

  const [local] = remainder.trim().split(/\s+/);
  if (local === undefined) return null;
  const addr = parseLocal(local);
  if (addr === null) return null;
  return {
    netid: addr.v6 ? 'tcp6' : 'tcp',
    address: addr.address,
    port: addr.port,
    path: null,
    ...(addr.iface !== undefined ? { iface: addr.iface } : {}),
    ...processFields,
  };
}

function parseLocal(local: string): { address: string; port: number; iface?: string; v6: boolean } | null {
  const colon = local.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = local.slice(colon + 1);
  if (!/^\d+$/.test(portText)) return null;
  let host = local.slice(0, colon);
  let iface: string | undefined;
  let v6 = false;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return null;
    const after = host.slice(close + 1);
    host = host.slice(1, close);
    v6 = true;
    if (after.startsWith('%')) iface = after.slice(1);
  } else {
    const pct = host.indexOf('%');
    if (pct >= 0) {
      iface = host.slice(pct + 1);
      host = host.slice(0, pct);
    }
    if (host === '*' || host.includes(':')) v6 = true;
  }
  // An IPv6 scope written inside the brackets ([fe80::1%eth0]) also names the interface.
  const scope = host.indexOf('%');
  if (scope >= 0) {
    iface ??= host.slice(scope + 1);
    host = host.slice(0, scope);
  }
  return { address: host.toLowerCase(), port: Number(portText), ...(iface ? { iface } : {}), v6 };
}

function stripBrackets(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function isIpv4(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * Would a TCP connection to `ip` reach this listener? `ip` is a literal address as nginx writes it
 * ("127.0.0.1", "::1" or "[::1]"). 0.0.0.0 takes every IPv4 address, "*" every address of both
 * families, "::" (shown as [::], IPv6 only) every IPv6 address, and ::ffff:a.b.c.d takes a.b.c.d.
 * Interface binding is ignored: on loopback it does not change the answer.
 */
export function listenerAccepts(listener: Listener, ip: string): boolean {
  if (listener.netid === 'unix') return false;
  const target = stripBrackets(ip);
  const bound = listener.address.toLowerCase();
  const v4Target = isIpv4(target) ? target : (/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(target)?.[1] ?? null);
  if (bound === '*') return true;
  if (bound === '0.0.0.0') return v4Target !== null;
  if (bound === '::') return target.includes(':') && !target.startsWith('::ffff:');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bound);
  if (mapped) return v4Target === mapped[1];
  return bound === target;
}
