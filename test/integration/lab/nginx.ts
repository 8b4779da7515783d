import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import type { Netns } from './netns.js';
import { start, waitForPort, type Started } from './processes.js';

export interface Nginx {
  port: number;
  prefix: string;
  errorLog: string;
  confFile: string;
  stop: () => Promise<void>;
  /** Cleans up the prefix folder after stop. */
  remove: () => void;
  process: Started;
}

export interface NginxOptions {
  /** The server{} body (listen is added), e.g. `location / { proxy_pass http://127.0.0.1:9; }`. */
  server: string;
  /** Extra directives for http{}, such as upstream blocks. */
  http?: string;
  user?: string;
  /** Extra directives for the main context, e.g. `worker_rlimit_nofile 16;`. */
  main?: string;
  /** The events{} body; default `worker_connections 64;`. */
  events?: string;
  /** Run nginx (its -t too) inside this network namespace, so it sees that namespace's /etc/hosts. */
  netns?: Netns;
}

/**
 * Starts a real nginx on a free loopback port with its own prefix, config and an error log at a path
 * only its config names (never /var/log/nginx/error.log).
 */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'bgw-nginx-'));
  for (const dir of ['logs', 'temp', 'conf']) mkdirSync(join(prefix, dir), { recursive: true });
  const errorLog = join(prefix, 'logs', 'site-errors.log');
  const confFile = join(prefix, 'conf', 'nginx.conf');
  writeFileSync(
    confFile,
    `user ${options.user ?? 'nobody nogroup'};
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/main-error.log;
${options.main ?? ''}
events { ${options.events ?? 'worker_connections 64;'} }
http {
    access_log off;
    client_body_temp_path ${prefix}/temp/body;
    proxy_temp_path ${prefix}/temp/proxy;
    fastcgi_temp_path ${prefix}/temp/fastcgi;
    uwsgi_temp_path ${prefix}/temp/uwsgi;
    scgi_temp_path ${prefix}/temp/scgi;
    ${options.http ?? ''}
    server {
        listen 127.0.0.1:${port};
        server_name lab.test;
        error_log ${errorLog};
        ${options.server}
    }
}
`,
  );
  const argv = (args: string[]) => (options.netns ? options.netns.exec(['nginx', ...args]) : ['nginx', ...args]);
  const test = argv(['-t', '-q', '-c', confFile, '-p', `${prefix}/`]);
  execFileSync(test[0] as string, test.slice(1), { stdio: 'pipe' });
  // A box's config was written well before nginx loaded it; badgateway's config reader trusts files that
  // changed at least 50 ms before the workers started, and asks nginx -T otherwise (src/system/config-read.ts).
  await new Promise((r) => setTimeout(r, 80));
  const run = argv(['-c', confFile, '-p', `${prefix}/`, '-g', 'daemon off;']);
  const process = start(run[0] as string, run.slice(1));
  // nginx writes its pid into the pid file after it has opened its listening sockets (a namespace's port
  // is out of our reach); `nginx -t` leaves that file behind empty, so wait for the number.
  if (options.netns) await waitForPidFile(`${prefix}/nginx.pid`);
  else await waitForPort('127.0.0.1', port, 'nginx');
  return {
    port,
    prefix,
    errorLog,
    confFile,
    process,
    stop: () => process.stop(),
    remove: () => rmSync(prefix, { recursive: true, force: true }),
  };
}

async function waitForPidFile(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 200 && Date.now() < deadline; attempt++) {
    if (existsSync(path) && /^\d+\s*$/.test(readFileSync(path, 'utf8'))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not write its pid to ${path} within ${timeoutMs} ms`);
}
