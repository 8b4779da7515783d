import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForOutput } from './in-netns.js';
import type { Netns } from './netns.js';
import { freePort } from './ports.js';
import { start, waitForPort, type Started } from './processes.js';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface Sshd {
  port: number;
  /** The address it listens on: 127.0.0.1 or ::1 (or a namespace's own address). */
  address: string;
  dir: string;
  /** Public host key lines (`type base64 comment`) by type. */
  hostKeys: Partial<Record<KeyType, string>>;
  /** Lets `user` log in with this public key (appends to that user's authorized_keys). */
  authorize: (user: string, publicKey: string) => void;
  /** The sshd processes serving connections right now (children of the listener). */
  sessions: () => number[];
  process: Started;
  stop: () => Promise<void>;
  remove: () => void;
}

export interface SshdOptions {
  hostKeyTypes?: KeyType[];
  /** Default 127.0.0.1; inside a namespace, any of its addresses (10.250.N.2). */
  address?: string;
  /** A fixed port (to start a re-keyed server where an old one was); default a free one (22 in a namespace). */
  port?: number;
  /** Run sshd inside this network namespace (its sessions, and so every command, run there too). */
  netns?: Netns;
  /** Extra sshd_config lines (they win over the defaults here). */
  config?: string;
}

/** ssh-keygen into `dir`: a key pair at dir/name and dir/name.pub; with a passphrase when given. */
export function makeKey(dir: string, name: string, type: KeyType = 'ed25519', passphrase = ''): { path: string; publicKey: string } {
  const path = join(dir, name);
  const bits = type === 'rsa' ? ['-b', '2048'] : [];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase, '-C', `bgw-test-${name}`, '-f', path], { stdio: 'pipe' });
  chmodSync(path, 0o600);
  return { path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/**
 * A real OpenSSH sshd on a free loopback port: its own host keys and config, key-only logins, each
 * user's authorized keys in a file of its own under the temp dir (readable by that user).
 */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const address = options.address ?? '127.0.0.1';
  const port = options.port ?? (options.netns ? 22 : await freePort(address));
  const dir = mkdtempSync(join(tmpdir(), 'bgw-sshd-'));
  // sshd reads authorized_keys as the user logging in, who is not always root.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'authorized'), { mode: 0o755 });
  // Privilege separation directory: the Debian package creates it at boot, a container may lack it.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const hostKeys: Partial<Record<KeyType, string>> = {};
  const hostKeyLines: string[] = [];
  for (const type of options.hostKeyTypes ?? ['ed25519']) {
    const key = makeKey(dir, `host_${type}`, type);
    hostKeys[type] = key.publicKey;
    hostKeyLines.push(`HostKey ${key.path}`);
  }
  const confFile = join(dir, 'sshd_config');
  writeFileSync(
    confFile,
    // Extra lines first: for most sshd_config keywords the first value wins.
    `${options.config ?? ''}
Port ${port}
ListenAddress ${address}
${hostKeyLines.join('\n')}
PidFile ${dir}/sshd.pid
AuthorizedKeysFile ${dir}/authorized/%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
LogLevel VERBOSE
`,
  );
  execFileSync('/usr/sbin/sshd', ['-t', '-f', confFile], { stdio: 'pipe' });
  // sshd re-executes itself, so it must be started by its absolute path.
  const argv = ['/usr/sbin/sshd', '-D', '-e', '-f', confFile];
  const run = options.netns ? options.netns.exec(argv) : argv;
  const process = start(run[0] as string, run.slice(1));
  // A namespace's port is out of our reach: sshd says when it listens (`ip netns exec` keeps its PID).
  if (options.netns) await waitForOutput(process, 'Server listening on', 'sshd');
  else await waitForPort(address, port, 'sshd');
  return {
    port,
    address,
    dir,
    hostKeys,
    process,
    authorize(user, publicKey) {
      const file = join(dir, 'authorized', user);
      writeFileSync(file, `${publicKey}\n`, { flag: 'a', mode: 0o644 });
      chmodSync(file, 0o644);
    },
    sessions: () => childrenOf(process.pid),
    stop: () => process.stop(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What ssh-keyscan prints for this sshd (real known_hosts lines). */
export function keyscan(sshd: Pick<Sshd, 'port' | 'address'>, types = 'ed25519,ecdsa,rsa'): string {
  return execFileSync('ssh-keyscan', ['-T', '5', '-t', types, '-p', String(sshd.port), sshd.address], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `pid` and every process under it, deepest first: what to stop, by PID, to end a program we started. */
export function treeOf(pid: number): number[] {
  return [...childrenOf(pid).flatMap(treeOf), pid];
}

/** Sends SIGKILL to `pid` and everything under it (those still there). */
export function killTree(pid: number): void {
  for (const each of treeOf(pid)) {
    try {
      process.kill(each, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

/** PIDs whose parent is `pid`, read from /proc. */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}
