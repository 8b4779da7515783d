/**
 * May a user connect to a unix socket? Connecting needs search (x) on every directory from / down to
 * the socket's directory, and write (w) on the socket itself. Root (uid 0) always may.
 *
 * Input format (run with LC_ALL=C, the socket's path and every parent from parentDirs()):
 *
 *   stat -L -c '%F|%u|%g|%a|%U|%G|%n' / /run /run/php /run/php/x.sock
 *
 *   directory|0|0|755|root|root|/
 *   socket|33|33|660|www-data|www-data|/run/php/x.sock
 *
 * Numbers decide (a name may be missing: "UNKNOWN"); names only make the reason readable. The user
 * comes from `id USER` (see id.ts): its gids must include the primary group.
 *
 * Like the kernel, exactly one class applies: the owner bits if the user owns the file, else the group
 * bits if the user is in its group, else the others' bits. ACLs and SELinux are not considered.
 * -L follows symlinks; a symlinked parent (/var/run -> /run) is judged by its target's mode, which is
 * right for the link itself but does not examine the target's own parents: resolve the socket path
 * (readlink -f) first when that matters.
 */

export const ACCESS_STAT_FORMAT = '%F|%u|%g|%a|%U|%G|%n';

export interface AccessEntry {
  path: string;
  /** As stat's %F prints it: "directory", "socket", "regular file", ... */
  type: string;
  uid: number;
  gid: number;
  /** Octal as stat's %a prints it: "755", "1777", "660". */
  mode: string;
  owner?: string;
  group?: string;
}

export interface AccessUser {
  uid: number;
  gids: number[];
  name: string;
}

export interface AccessVerdict {
  ok: boolean;
  /** The path that stops the user. */
  blockedBy?: string;
  /** Plain words, e.g. "www-data is not owner, not in group root, and others lack w on /run/php/x.sock (mode 660)". */
  reason?: string;
}

export function parseAccessStat(stdout: string): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^([^|]+)\|(\d+)\|(\d+)\|([0-7]{1,4})\|([^|]*)\|([^|]*)\|(.+)$/.exec(line);
    if (!m) continue;
    const entry: AccessEntry = { path: m[7]!, type: m[1]!, uid: Number(m[2]), gid: Number(m[3]), mode: m[4]! };
    if (m[5] !== '' && m[5] !== 'UNKNOWN') entry.owner = m[5]!;
    if (m[6] !== '' && m[6] !== 'UNKNOWN') entry.group = m[6]!;
    out.push(entry);
  }
  return out;
}

function normalize(path: string): string {
  const collapsed = path.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

/** Every directory that must be searched to reach `path`: "/run/php/x.sock" -> ["/", "/run", "/run/php"]. */
export function parentDirs(path: string): string[] {
  const p = normalize(path);
  if (!p.startsWith('/')) throw new RangeError(`not an absolute path: ${path}`);
  const parts = p.split('/').filter((s) => s !== '');
  const dirs = ['/'];
  for (let i = 1; i < parts.length; i++) dirs.push('/' + parts.slice(0, i).join('/'));
  return dirs;
}

type Bit = 'r' | 'w' | 'x';
const BIT_VALUE: Record<Bit, number> = { r: 4, w: 2, x: 1 };

function who(entry: AccessEntry, kind: 'owner' | 'group'): string {
  return kind === 'owner' ? (entry.owner ?? `uid ${entry.uid}`) : (entry.group ?? `gid ${entry.gid}`);
}

/** null when allowed, else the reason. */
function denied(user: AccessUser, entry: AccessEntry, bit: Bit): string | null {
  const mode = parseInt(entry.mode, 8) & 0o777;
  const want = BIT_VALUE[bit];
  const shown = `${entry.path} (mode ${entry.mode})`;
  if (user.uid === entry.uid) {
    if ((mode >> 6) & want) return null;
    return `${user.name} is the owner, and the owner lacks ${bit} on ${shown}`;
  }
  if (user.gids.includes(entry.gid)) {
    if ((mode >> 3) & want) return null;
    return `${user.name} is not owner; it is in group ${who(entry, 'group')}, but the group lacks ${bit} on ${shown}`;
  }
  if (mode & want) return null;
  return `${user.name} is not owner, not in group ${who(entry, 'group')}, and others lack ${bit} on ${shown}`;
}

/**
 * The chain holds the socket (its last entry) and the stat lines of its parent directories, in any
 * order. A parent with no line (stat could not see it) blocks with a reason that says so.
 */
export function canConnect(user: AccessUser, chain: readonly AccessEntry[]): AccessVerdict {
  const target = chain.at(-1);
  if (target === undefined) throw new RangeError('canConnect needs at least the socket');
  if (user.uid === 0) return { ok: true };
  const byPath = new Map(chain.map((e) => [normalize(e.path), e]));
  const socketPath = normalize(target.path);

  for (const dir of parentDirs(socketPath)) {
    const entry = byPath.get(dir);
    if (entry === undefined) {
      return { ok: false, blockedBy: dir, reason: `no stat line for ${dir}: cannot tell whether ${user.name} may search it` };
    }
    if (entry.type !== 'directory') {
      return { ok: false, blockedBy: dir, reason: `${dir} is a ${entry.type}, not a directory` };
    }
    const why = denied(user, entry, 'x');
    if (why !== null) return { ok: false, blockedBy: dir, reason: why };
  }

  if (target.type !== 'socket') {
    return { ok: false, blockedBy: socketPath, reason: `${socketPath} is a ${target.type}, not a socket` };
  }
  const why = denied(user, target, 'w');
  if (why !== null) return { ok: false, blockedBy: socketPath, reason: why };
  return { ok: true };
}
