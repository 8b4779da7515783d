import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A Debian box of its own on this machine: private mount, network and PID namespaces, in which
 * /etc/nginx, /etc/supervisor, /etc/uwsgi, /etc/default, /etc/init.d, /etc/php, /etc/hosts, /etc/sv, /etc/runit (where
 * Debian's /etc/service link leads), /run, /var/log, /srv and /root are the box's
 * own copies (Debian's packaged files, then what a scenario writes), so nginx, supervisord, gunicorn,
 * uwsgi and php-fpm run with their real paths and real service tools, and badgateway, run inside with
 * exec(), sees only the box: its processes, its listeners, its files. Everything in it dies with it.
 */
export interface Box {
  /** argv prefix that runs a program inside the box (for runCli's wrap, or answer()). */
  exec: (argv: string[]) => string[];
  /** argv prefix that runs a program on this machine's files but in the box's network: a client of its sshd. */
  netExec: (argv: string[]) => string[];
  /** Runs a program inside the box and returns its stdout; throws on a non-zero exit. */
  run: (argv: string[], options?: { input?: string }) => string;
  /** Writes a file as the box sees it (parents created). */
  write: (path: string, text: string, mode?: number) => void;
  read: (path: string) => string;
  /** Where the box's private copy of a path lives on this machine (for reading its files from the test). */
  hostPath: (path: string) => string;
  remove: () => Promise<void>;
}

/** Paths the box gets a private copy of: copied from this machine first where it has them. */
const COPIED = ['/etc/nginx', '/etc/supervisor', '/etc/uwsgi', '/etc/default', '/etc/init.d', '/etc/php', '/etc/hosts', '/etc/sv', '/etc/runit'];
/** Paths the box starts empty (a tmpfs of its own). */
const EMPTY = ['/run', '/var/log', '/srv', '/root'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childPid(parent: number): number | null {
  try {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

/** Starts the box: a holder process owns the namespaces; nsenter joins them for each command. */
export async function startBox(): Promise<Box> {
  const root = mkdtempSync(join(tmpdir(), 'bgw-box-'));
  chmodSync(root, 0o755);
  for (const path of COPIED) {
    const copy = join(root, path);
    mkdirSync(dirname(copy), { recursive: true });
    try {
      cpSync(path, copy, { recursive: true, verbatimSymlinks: true });
    } catch {
      mkdirSync(copy, { recursive: true });
    }
  }
  // The box's own /run and /var/log start empty, with what Debian's packages expect to find there.
  const setup = [
    ...COPIED.map((path) => `mount --bind ${join(root, path)} ${path}`),
    ...EMPTY.map((path) => `mount -t tmpfs -o mode=0755 tmpfs ${path}`),
    'mkdir -p /run/php /run/sshd /var/log/nginx /var/log/supervisor /var/log/php /var/lib/nginx',
    'ip link set lo up',
    'echo ready',
    // The box's init: bash reaps what daemons leave behind (a zombie would still count as running).
    "exec bash -c 'while :; do sleep 3600 & wait; done'",
  ].join(' && ');
  const holder: ChildProcess = spawn('unshare', ['--mount', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '--kill-child', '--', 'sh', '-c', setup], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  holder.stdout?.on('data', (d) => (said += d));
  holder.stderr?.on('data', (d) => (said += d));
  let inner: number | null = null;
  for (let i = 0; i < 200 && !(said.includes('ready') && inner !== null); i++) {
    await sleep(25);
    if (holder.pid) inner = childPid(holder.pid);
    if (holder.exitCode !== null) break;
  }
  if (!said.includes('ready') || inner === null || !holder.pid) {
    holder.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw new Error(`the box did not start: ${said}`);
  }
  const target = String(inner);
  const exec = (argv: string[]) => ['nsenter', '-t', target, '-m', '-n', '-p', '--', ...argv];
  const netExec = (argv: string[]) => ['nsenter', '-t', target, '-n', '--', ...argv];
  const run = (argv: string[], options: { input?: string } = {}) => {
    const full = exec(argv);
    return execFileSync(full[0] as string, full.slice(1), { encoding: 'utf8', input: options.input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  };
  const hostPath = (path: string) => {
    const copied = COPIED.find((c) => path === c || path.startsWith(`${c}/`));
    if (copied) return join(root, path);
    return `/proc/${target}/root${path}`;
  };
  return {
    exec,
    netExec,
    run,
    hostPath,
    write(path, text, mode = 0o644) {
      run(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"', 'write', path, mode.toString(8)], { input: text });
    },
    read: (path) => run(['cat', '--', path]),
    async remove() {
      const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
      if (holder.exitCode === null) holder.kill('SIGKILL');
      await Promise.race([exited, sleep(5000)]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Writes a file in the box and returns its path (a small convenience for scenario setups). */
export function writeAll(box: Box, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) box.write(path, text);
}

/** Waits (bounded) until a command inside the box succeeds. */
export async function waitInBox(box: Box, argv: string[], what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      box.run(argv);
      return;
    } catch (e) {
      last = (e as { stderr?: string }).stderr ?? String(e);
    }
    await sleep(100);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms: ${last}`);
}
