import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, stateDir } from './lab/apply.js';
import { startTcpBackend } from './lab/backend.js';
import { CLI } from './lab/badgateway.js';
import type { Nginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';
import { sshClient } from './lab/ssh-client.js';
import { startSshd } from './lab/sshd.js';

const { later, nginx, phpFpm, own, scratchDir } = labScope();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The step boundaries of an apply that succeeds (a config edit with a reload), in order. */
const APPLY_STEPS = ['read', 'backup', 'journal-begin', 'candidate', 'validate', 'swap', 'reload', 'proof', 'verify', 'journal-end'];
/** The boundaries of a rollback (a fix whose request still fails). */
const ROLLBACK_STEPS = ['rollback', 'rollback-commands', 'rollback-swap', 'rollback-reload', 'rollback-journal'];

interface Killed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/**
 * Runs badgateway --json --apply --yes paused at `step` (BADGATEWAY_PAUSE_AT), waits (bounded) until its
 * step log says it is paused there, sends `signal`, and waits (bounded) for it to exit.
 */
async function killAt(
  url: string,
  state: string,
  step: string,
  signal: NodeJS.Signals | ((pid: number, stderr: () => string) => Promise<void>),
  options: { args?: string[]; env?: NodeJS.ProcessEnv; pauseMs?: number; alsoPauseAt?: string[] } = {},
): Promise<Killed> {
  const pauseAt = [step, ...(options.alsoPauseAt ?? [])].join(',');
  const child = spawn(process.execPath, [CLI, '--json', '--apply', '--yes', '--url', url, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env, BADGATEWAY_STATE_DIR: state, BADGATEWAY_PAUSE_AT: pauseAt, BADGATEWAY_PAUSE_MS: String(options.pauseMs ?? 20_000) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  const paused = `apply ${step} - paused at ${step}`;
  for (let waited = 0; waited < 600 && !stderr.includes(paused) && child.exitCode === null; waited++) await sleep(100);
  if (!stderr.includes(paused)) {
    child.kill('SIGKILL');
    throw new Error(`badgateway never paused at ${step}:\n${stderr}\n${stdout}`);
  }
  if (typeof signal === 'function') await signal(child.pid as number, () => stderr);
  else child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const end = await exited;
  clearTimeout(timer);
  return { ...end, stderr, stdout };
}

function nginxArgs(site: Nginx): string[] {
  return ['-c', site.confFile, '-p', `${site.prefix}/`];
}

function passesNginxT(site: Nginx): boolean {
  try {
    execFileSync('nginx', [...nginxArgs(site), '-t', '-q'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Puts the broken config back and reloads until nginx answers `status` again (bounded). */
async function reset(site: Nginx, text: string, url: string, status: number): Promise<void> {
  if (readFileSync(site.confFile, 'utf8') !== text) writeFileSync(site.confFile, text);
  execFileSync('nginx', [...nginxArgs(site), '-s', 'reload'], { stdio: 'pipe' });
  for (let i = 0; i < 100; i++) {
    if ((await answer(url)).status === status) return;
    await sleep(50);
  }
  throw new Error(`nginx does not answer ${status} again after the reset`);
}

function noStrayFiles(site: Nginx): void {
  expect(readdirSync(dirname(site.confFile))).toEqual(['nginx.conf']);
}

describe('an apply killed at every step leaves a valid config: the old one or the new one, never in between', () => {
  it('SIGKILL and SIGTERM at each step of a config edit', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const old = readFileSync(site.confFile, 'utf8');
    const fixed = old.replace(`server 127.0.0.1:${dialled};`, `server 127.0.0.1:${actual};`);
    expect(fixed).not.toBe(old);
    const seen: string[] = [];
    for (const step of APPLY_STEPS) {
      for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
        await reset(site, old, url, 502);
        const state = stateDir(later);
        const run = await killAt(url, state, step, signal);
        const now = readFileSync(site.confFile, 'utf8');
        const which = now === old ? 'old' : now === fixed ? 'new' : 'neither';
        seen.push(`${step}/${signal}: ${which}`);
        expect(which, `${step}/${signal}\n${run.stderr}`).not.toBe('neither');
        expect(passesNginxT(site), `${step}/${signal}`).toBe(true);
        noStrayFiles(site);
        if (signal === 'SIGTERM') {
          // Interrupted before the request was proven: everything rolled back, and the report says so.
          const report = JSON.parse(run.stdout);
          if (step === 'journal-end') expect(report.fix).toMatchObject({ verified: true, rolledBack: false });
          else {
            expect(which, `${step}/${signal}\n${run.stderr}`).toBe('old');
            expect(report.fix).toMatchObject({ verified: false, interrupted: true });
            expect(report.fix.rolledBack).toBe(report.fix.applied);
            expect((await answer(url)).status).toBe(502);
          }
        }
      }
    }
    // The atomic rename is the only moment the file changes: before it always old, after it always new.
    const swapAt = APPLY_STEPS.indexOf('swap');
    for (const [i, step] of APPLY_STEPS.entries()) {
      expect(seen).toContain(`${step}/SIGKILL: ${i <= swapAt ? 'old' : 'new'}`);
    }
  }, 300_000);

  it('Ctrl-C twice (SIGINT, then SIGINT again during the rollback): the rollback still finishes', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const old = readFileSync(site.confFile, 'utf8');
    await reset(site, old, url, 502);
    // The second Ctrl-C lands while the rollback is held at rollback-swap, so it is sure to come mid-rollback.
    const twice = async (pid: number, stderr: () => string) => {
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 200 && !stderr().includes('paused at rollback-swap'); i++) await sleep(50);
      expect(stderr()).toContain('paused at rollback-swap');
      process.kill(pid, 'SIGINT');
    };
    const run = await killAt(url, stateDir(later), 'reload', twice, { alsoPauseAt: ['rollback-swap'], pauseMs: 1_000 });
    expect(run.signal, run.stderr).toBeNull();
    expect(run.stderr).toContain('SIGINT again: still finishing');
    const report = JSON.parse(run.stdout);
    expect(report.fix).toMatchObject({ verified: false, interrupted: true, applied: true, rolledBack: true });
    expect(readFileSync(site.confFile, 'utf8')).toBe(old);
    expect(passesNginxT(site)).toBe(true);
    noStrayFiles(site);
  }, 120_000);

  it('SIGKILL at each step of a rollback (a fix that does not help)', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock') });
    const site = await nginx({
      user: 'nobody nogroup',
      server: `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_pass unix:${join(dir, 'old-app.sock')}; }`,
    });
    const url = `http://127.0.0.1:${site.port}/`;
    const old = readFileSync(site.confFile, 'utf8');
    const retargeted = old.replace(`unix:${join(dir, 'old-app.sock')}`, `unix:${join(dir, 'app.sock')}`);
    for (const step of ROLLBACK_STEPS) {
      await reset(site, old, url, 502);
      const run = await killAt(url, stateDir(later), step, 'SIGKILL');
      const now = readFileSync(site.confFile, 'utf8');
      expect([old, retargeted], `${step}\n${run.stderr}`).toContain(now);
      expect(passesNginxT(site), step).toBe(true);
      noStrayFiles(site);
    }
  }, 300_000);

  it('the SSH connection dropped for good at a step: the config is still the old or the new one, and the report says what to do', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const old = readFileSync(site.confFile, 'utf8');
    const client = sshClient();
    later(() => client.remove());
    for (const step of ['candidate', 'swap', 'reload', 'verify']) {
      await reset(site, old, url, 502);
      const server = await startSshd();
      later(
        () => server.remove(),
        () => server.stop(),
      );
      server.authorize('root', client.key.publicKey);
      client.trust(server);
      // The box goes away: sshd and every session it serves, so reconnecting fails too.
      const drop = async () => {
        for (const pid of server.sessions()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        void server.stop();
      };
      const run = await killAt(url, stateDir(later), step, drop, { args: ['--ssh', `root@127.0.0.1:${server.port}`], env: client.env, pauseMs: 3000 });
      const report = JSON.parse(run.stdout);
      // --json takes the nearest listener as the backend; with sshd listening too, the report says which.
      const [edit] = report.fix.edits;
      const fixed = old.replace(edit.before, edit.after);
      const now = readFileSync(site.confFile, 'utf8');
      expect([old, fixed], `${step}\n${run.stderr}`).toContain(now);
      expect(passesNginxT(site), step).toBe(true);
      noStrayFiles(site);
      expect(report.fix.verified, step).toBe(false);
      expect(report.fix.failure, step).toMatch(/connection|dropped|lost/);
      if (now === fixed) expect(report.fix.rollback.join('\n'), step).toContain('badgateway undo');
    }
  }, 300_000);
});
