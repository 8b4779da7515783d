import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
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
events { worker_connections 64; }
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
  execFileSync('nginx', ['-t', '-q', '-c', confFile, '-p', `${prefix}/`], { stdio: 'pipe' });
  const process = start('nginx', ['-c', confFile, '-p', `${prefix}/`, '-g', 'daemon off;']);
  await waitForPort('127.0.0.1', port, 'nginx');
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
