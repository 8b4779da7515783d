import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from './netns.js';
import { start, waitForPath, waitForPort, type Started } from './processes.js';

export const PHP_FPM = '/usr/sbin/php-fpm8.2';

export interface PhpFpm {
  process: Started;
  dir: string;
  confFile: string;
  poolFile: string;
  logFile: string;
  docroot: string;
  stop: () => Promise<void>;
  remove: () => void;
}

export interface PhpFpmOptions {
  /** A socket path or HOST:PORT, as the pool's listen = line. */
  listen: string;
  /** Extra pool lines, e.g. "listen.mode = 0600". */
  pool?: string;
  /** PHP scripts to serve: file name -> source. */
  scripts?: Record<string, string>;
  user?: string;
  /** Run php-fpm inside this network namespace. */
  netns?: Netns;
}

/**
 * A real php-fpm master with one pool in its own folder: the main config includes pool.d/*.conf as
 * Debian's does, and the process title names the main config, so badgateway can find the pool.
 */
export async function startPhpFpm(options: PhpFpmOptions): Promise<PhpFpm> {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-fpm-'));
  chmodSync(dir, 0o755);
  const docroot = join(dir, 'www');
  mkdirSync(join(dir, 'pool.d'), { recursive: true });
  mkdirSync(docroot, { recursive: true });
  for (const [name, source] of Object.entries(options.scripts ?? { 'index.php': '<?php echo "hello from php\\n";' })) writeFileSync(join(docroot, name), source);
  const confFile = join(dir, 'php-fpm.conf');
  const poolFile = join(dir, 'pool.d', 'www.conf');
  const logFile = join(dir, 'php-fpm.log');
  const user = options.user ?? 'www-data';
  writeFileSync(confFile, `[global]\npid = ${dir}/php-fpm.pid\nerror_log = ${logFile}\ndaemonize = no\ninclude = ${dir}/pool.d/*.conf\n`);
  writeFileSync(poolFile, `[www]\nuser = ${user}\ngroup = ${user}\nlisten = ${options.listen}\npm = static\npm.max_children = 2\ncatch_workers_output = yes\n${options.pool ?? ''}\n`);
  const argv = [PHP_FPM, '-F', '-y', confFile];
  const run = options.netns ? options.netns.exec(argv) : argv;
  const process = start(run[0] as string, run.slice(1));
  if (options.listen.startsWith('/')) await waitForPath(options.listen, 'php-fpm');
  else {
    const [host, port] = [options.listen.slice(0, options.listen.lastIndexOf(':')), Number(options.listen.slice(options.listen.lastIndexOf(':') + 1))];
    if (options.netns) await waitInNetns(options.netns, host, port);
    else await waitForPort(host, port, 'php-fpm');
  }
  return { process, dir, confFile, poolFile, logFile, docroot, stop: () => process.stop(), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Waits (bounded) until something accepts TCP connections at host:port inside a namespace. */
async function waitInNetns(ns: Netns, host: string, port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      ns.run(['bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', host, String(port)]);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`php-fpm did not listen on ${host}:${port} in ${ns.name}`);
}
