import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, waitForPort, type Started } from './processes.js';

const SCRIPT = fileURLToPath(new URL('./closing-backend.py', import.meta.url));

export type ClosingMode = { mode: 'keepalive-race' | 'keepalive-lazy'; idleSeconds: number } | { mode: 'crash'; logFile: string } | { mode: 'badheader' } | { mode: 'banner' };

function modeArgs(mode: ClosingMode): string[] {
  if (mode.mode === 'keepalive-race' || mode.mode === 'keepalive-lazy') return [String(mode.idleSeconds)];
  if (mode.mode === 'crash') return [mode.logFile];
  return [];
}

/** A real python3 backend that accepts the request and then goes wrong (see closing-backend.py). */
export async function startClosingBackend(host: string, port: number, mode: ClosingMode): Promise<Started> {
  const backend = start('python3', [SCRIPT, mode.mode, host, String(port), ...modeArgs(mode)]);
  await waitForPort(host, port, `the ${mode.mode} backend`);
  return backend;
}

/** A real HTTPS server (openssl s_server -www) with a fresh self-signed certificate in `dir`. */
export async function startTlsServer(dir: string, port: number, name: string): Promise<Started> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '1', '-keyout', key, '-out', cert], { stdio: 'pipe' });
  const server = start('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-www', '-quiet']);
  await waitForPort('127.0.0.1', port, 'openssl s_server');
  return server;
}

function workers(masterPid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(masterPid)], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/**
 * Applies one edit of a fix plan to the file as a person would (the `before` text on that line becomes
 * `after`), reloads nginx with its own -c/-p, and waits (bounded) until the workers of the old
 * configuration are gone. Throws when the line does not hold `before`.
 */
export async function applyEdit(edit: { file: string; line: number; before: string; after: string }, nginxArgs: readonly string[], masterPid: number): Promise<void> {
  const lines = readFileSync(edit.file, 'utf8').split('\n');
  const at = lines[edit.line - 1] ?? '';
  if (!at.includes(edit.before)) throw new Error(`line ${edit.line} of ${edit.file} does not hold ${edit.before}: ${at}`);
  lines[edit.line - 1] = at.replace(edit.before, edit.after);
  writeFileSync(edit.file, lines.join('\n'));
  execFileSync('nginx', [...nginxArgs, '-t', '-q'], { stdio: 'pipe' });
  const old = workers(masterPid);
  execFileSync('nginx', [...nginxArgs, '-s', 'reload'], { stdio: 'pipe' });
  for (let tries = 0; tries < 100; tries++) {
    const now = workers(masterPid);
    if (now.length > 0 && !now.some((pid) => old.includes(pid))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not replace its workers within 5 s of the reload');
}

/**
 * The keep-alive race for real: nginx keeps idle connections to a backend that drops a request arriving
 * on a connection idle past its own timeout. Two POSTs apart (0.7 s by default): the first answers 200,
 * the second reuses the idle connection, is dropped, and nginx (which never resends a POST) answers 502.
 * The default backend also closes idle connections itself after 1 s; `keepalive-lazy` never does.
 */
export async function keepaliveRace<Site extends { port: number }>(
  nginx: (options: { http: string; server: string }) => Promise<Site>,
  own: (started: Started) => Started,
  freePort: () => Promise<number>,
  backend: { mode: 'keepalive-race' | 'keepalive-lazy'; idleSeconds: number; gapMs: number } = { mode: 'keepalive-race', idleSeconds: 1, gapMs: 700 },
): Promise<{ site: Site; url: string; post: () => Promise<number>; raceTwice: () => Promise<[number, number]> }> {
  const port = await freePort();
  own(await startClosingBackend('127.0.0.1', port, { mode: backend.mode, idleSeconds: backend.idleSeconds }));
  const site = await nginx({
    http: `upstream app { server 127.0.0.1:${port}; keepalive 4; }`,
    server: 'location /api/ { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }',
  });
  const url = `http://127.0.0.1:${site.port}/api/orders`;
  const post = () => fetch(url, { method: 'POST', body: 'item=1', signal: AbortSignal.timeout(10_000) }).then((r) => r.status);
  const raceTwice = async (): Promise<[number, number]> => {
    const first = await post();
    await new Promise((r) => setTimeout(r, backend.gapMs));
    return [first, await post()];
  };
  return { site, url, post, raceTwice };
}
