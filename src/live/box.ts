import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { commandLine } from '../shell/quote.js';

/**
 * A Debian box of its own on this machine: private mount, network and PID namespaces, in which
 * /etc/nginx, /etc/supervisor, /etc/uwsgi, /etc/default, /etc/init.d, /etc/php, /etc/hosts, /etc/sv, /etc/runit (where
 * Debian's /etc/service link leads), /run, /var/log, /srv and /root are the box's
 * own copies (Debian's packaged files, then what a scenario writes), so nginx, supervisord, gunicorn,
 * uwsgi and php-fpm run with their real paths and real service tools, and badgateway, run inside with
 * exec(), sees only the box: its processes, its listeners, its files. Everything in it dies with it.
 *
 * The copies live in a tmpfs of the box's mount namespace, never on this machine's disk, and the box's
 * first process lives only as long as the pipe from whoever started it: when that process ends, however it
 * ends (SIGKILL included), the pipe closes, the first process exits and the kernel ends every process of the
 * box with it.
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
  /** Where the box's private copy of a path can be read from this machine (through the box's own root). */
  hostPath: (path: string) => string;
  /** The box's first process, as this machine's PID namespace numbers it. */
  pid: number;
  remove: () => Promise<void>;
}

/** Paths the box gets a private copy of: copied from this machine first where it has them. */
export const COPIED = ['/etc/nginx', '/etc/supervisor', '/etc/uwsgi', '/etc/default', '/etc/init.d', '/etc/php', '/etc/hosts', '/etc/sv', '/etc/runit', '/etc/systemd/system'];
/** Paths the box starts empty (a tmpfs of its own). */
export const EMPTY = ['/run', '/var/log', '/srv', '/root'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childPid(parent: number): number | null {
  try {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

/**
 * What a sealed box also copies (nginx's temp folders) or starts empty (/tmp; PHP's sessions, which on a real
 * server may be many), to run read-only elsewhere.
 */
const SEALED_COPIES = ['/var/lib/nginx'];
const SEALED_EMPTY = ['mount -t tmpfs -o mode=1777 tmpfs /tmp', 'if [ -d /var/lib/php/sessions ]; then mount -t tmpfs -o mode=1733 tmpfs /var/lib/php/sessions; fi'];

/**
 * In a sealed box every other mount of this machine is read-only (in the box's mount namespace only): a
 * person working in it as root cannot change this machine's files. The lab's boxes are not sealed: some of
 * its tests share files with a box through this machine's /tmp.
 */
let sealed = false;

/** Seals every box this process starts from now on (badgateway practice --live, where a person types in it). */
export function sealBoxes(): void {
  sealed = true;
}

/** Every mount but the box's own and /proc, /dev: remounted read-only, in the box's namespace only. */
function readOnlyElsewhere(own: readonly string[]): string {
  const keep = [...own, '/proc', '/dev'].map((p) => `${p}|${p}/*`).join('|');
  return `awk '{ print $2 }' /proc/self/mounts | sort -u | while read -r m; do case "$m" in ${keep}) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac; done`;
}

/**
 * The shell script that makes the box inside fresh namespaces. The copies are made in a tmpfs first mounted on
 * /run, bound over their paths, and that tmpfs is then detached (the binds keep it alive) and replaced by the
 * box's own empty /run. The last line becomes the box's first process.
 */
export function setupScript(seal = false): string {
  const stage = '/run/.box-copies';
  const copied = seal ? [...COPIED, ...SEALED_COPIES] : COPIED;
  const copies = copied.flatMap((path, i) => {
    const copy = `${stage}/${i}`;
    return [`if [ -e ${commandLine([path])} ]; then cp -a ${commandLine([path, copy])} && mount --bind ${commandLine([copy, path])}; fi`];
  });
  return [
    'set -e',
    `mount -t tmpfs -o mode=0700 tmpfs /run`,
    `mkdir -p ${stage}`,
    ...copies,
    'umount -l /run',
    ...EMPTY.map((path) => `mount -t tmpfs -o mode=0755 tmpfs ${commandLine([path])}`),
    ...(seal ? [...SEALED_EMPTY, readOnlyElsewhere([...copied, ...EMPTY, '/tmp', '/var/lib/php/sessions'])] : []),
    // What Debian's packages expect to find in /run and /var/log.
    `mkdir -p /run/php /run/sshd /var/log/nginx /var/log/supervisor /var/log/php${seal ? '' : ' /var/lib/nginx'}`,
    'ip link set lo up',
    'echo ready',
    // The box's init: bash reaps what daemons leave behind (a zombie would still count as running) while it
    // waits for its stdin (the starter's pipe) to close; then it exits and the box ends.
    'exec bash -c \'exec 3<&0; cat <&3 >/dev/null & reader=$!; exec 3<&-; while kill -0 "$reader" 2>/dev/null; do wait "$reader"; done\'',
  ].join('\n');
}

/** Starts the box: a holder process owns the namespaces; nsenter joins them for each command. */
export async function startBox(): Promise<Box> {
  const holder: ChildProcess = spawn('unshare', ['--mount', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '--kill-child', '--', 'sh', '-c', setupScript(sealed)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let said = '';
  holder.stdout?.on('data', (d) => (said += d));
  holder.stderr?.on('data', (d) => (said += d));
  holder.on('error', (e) => (said += String(e)));
  let inner: number | null = null;
  for (let i = 0; i < 400 && !(said.includes('ready') && inner !== null); i++) {
    await sleep(25);
    if (holder.pid) inner = childPid(holder.pid);
    if (holder.exitCode !== null) break;
  }
  if (!said.includes('ready') || inner === null || !holder.pid) {
    holder.kill('SIGKILL');
    throw new Error(`the box did not start: ${said.trim()}`);
  }
  const target = String(inner);
  const exec = (argv: string[]) => ['nsenter', '-t', target, '-m', '-n', '-p', '--', ...argv];
  const netExec = (argv: string[]) => ['nsenter', '-t', target, '-n', '--', ...argv];
  const run = (argv: string[], options: { input?: string } = {}) => {
    const full = exec(argv);
    return execFileSync(full[0] as string, full.slice(1), { encoding: 'utf8', input: options.input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  };
  return {
    exec,
    netExec,
    run,
    pid: inner,
    hostPath: (path) => `/proc/${target}/root${path}`,
    write(path, text, mode = 0o644) {
      run(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"', 'write', path, mode.toString(8)], { input: text });
    },
    read: (path) => run(['cat', '--', path]),
    async remove() {
      const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
      holder.stdin?.destroy();
      await Promise.race([exited, sleep(5000)]);
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
