import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, applyFix, changesOf, journalOf, stateDir, undo } from './lab/apply.js';
import { startBackendIn } from './lab/in-netns.js';
import { startUnixBackend } from './lab/backend.js';
import { createNetns } from './lab/netns.js';
import { startNginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const { later, nginx, phpFpm, own, scratchDir } = labScope();

const STOCK_SOCKET = '/run/php/php8.2-fpm.sock';
const STOCK_PID = '/run/php/php8.2-fpm.pid';
const STOCK_POOL = '/etc/php/8.2/fpm/pool.d/www.conf';

/** The stock pool must come out of a test as it went in: a diagnosis gone wrong must not leave it changed. */
function guardStockPool(): void {
  const before = readFileSync(STOCK_POOL, 'utf8');
  later(() => {
    if (readFileSync(STOCK_POOL, 'utf8') !== before) {
      writeFileSync(STOCK_POOL, before);
      throw new Error(`${STOCK_POOL} was changed by the test: restored`);
    }
  });
}

/** Stops a daemonized php-fpm (one badgateway started) by the PID in its pid file. */
function stopByPidFile(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!pid) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    /* already gone */
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
      execFileSync('sleep', ['0.05']);
    } catch {
      return;
    }
  }
}

/** A location that hands every request to php-fpm at `address`. */
function fastcgi(address: string, docroot: string): string {
  return `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${docroot}/index.php; fastcgi_pass ${address}; }`;
}

/** A folder with index.php that php-fpm's www-data may read. */
function phpDocroot(): string {
  const dir = scratchDir('bgw-www-');
  writeFileSync(join(dir, 'index.php'), '<?php echo "hello from php\\n";');
  return dir;
}

describe('--apply --yes: backends started, pool settings changed, sockets opened', () => {
  it("socket-permission: the php-fpm pool's listen.owner/group/mode (durable) and a restart; the stopgaps are not run", async () => {
    const dir = scratchDir();
    const socket = join(dir, 'php.sock');
    const fpm = await phpFpm({ listen: socket, pool: 'listen.owner = root\nlisten.group = root\nlisten.mode = 0600' });
    later(() => stopByPidFile(join(fpm.dir, 'php-fpm.pid')));
    const pool = readFileSync(fpm.poolFile, 'utf8');
    const site = await nginx({ user: 'nobody nogroup', server: fastcgi(`unix:${socket}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const state = stateDir(later);
    const { report, code, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('socket-permission');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true, rolledBack: false });
    expect(code).toBe(0);
    const [edit] = changesOf(report, 'edit');
    expect(edit).toMatchObject({ file: fpm.poolFile, program: 'php-fpm', status: 'applied' });
    expect(readFileSync(edit.backup, 'utf8')).toBe(pool);
    expect(readFileSync(fpm.poolFile, 'utf8')).toContain('listen.mode = 0660');
    const commands = changesOf(report, 'command').map((c) => [c.command, c.status, c.durable]);
    expect(commands).toEqual([
      [`chgrp nogroup -- ${socket}`, 'skipped', false],
      [`chmod g+rw -- ${socket}`, 'skipped', false],
      [`kill -QUIT -- ${fpm.process.pid}`, 'ran', true],
      [`/usr/sbin/php-fpm8.2 --daemonize --fpm-config ${fpm.confFile}`, 'ran', true],
    ]);
    expect(changesOf(report, 'command')[0].skipped).toMatch(/stopgap/);
    // No nginx file changed: no reload.
    expect(changesOf(report, 'reload')).toEqual([]);
    expect(statSync(socket).mode & 0o777).toBe(0o660);
    expect(await answer(url)).toEqual({ status: 200, body: 'hello from php\n' });
  });

  it('socket-permission without a pool: chgrp and chmod now (stopgaps, said so), each with its undo; badgateway undo puts them back', async () => {
    const dir = scratchDir();
    const socket = join(dir, 'app.sock');
    own(await startUnixBackend(socket, '600'));
    const site = await nginx({ user: 'nobody nogroup', server: `location / { proxy_pass http://unix:${socket}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const state = stateDir(later);
    const { report, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('socket-permission');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true, rolledBack: false });
    const [chgrp, chmod] = changesOf(report, 'command');
    expect(chgrp).toMatchObject({ command: `chgrp nogroup -- ${socket}`, status: 'ran', durable: false, changed: `group of ${socket}: root -> nogroup`, undo: [['chgrp', '0', '--', socket]] });
    expect(chmod).toMatchObject({ command: `chmod g+rw -- ${socket}`, status: 'ran', durable: false, changed: `mode of ${socket}: 600 -> 660`, undo: [['chmod', '600', '--', socket]] });
    expect((await answer(url)).status).toBe(200);

    const undone = await undo(state);
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
    expect(undone.stdout).toContain(`undid chmod g+rw -- ${socket}: chmod 600 -- ${socket}`);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(socket).gid).toBe(0);
    expect((await answer(url)).status).toBe(502);
    expect(journalOf(state).map((r) => r.event)).toEqual(['begin', 'applied', 'undone']);
  });

  it("socket-missing: the stock php8.2-fpm is stopped; the fix starts it with this box's init script, and undo stops it again", async () => {
    expect(existsSync(STOCK_SOCKET), `${STOCK_SOCKET} exists: stop the stock php8.2-fpm before this test`).toBe(false);
    guardStockPool();
    later(() => stopByPidFile(STOCK_PID));
    const site = await nginx({ user: 'www-data www-data', server: fastcgi(`unix:${STOCK_SOCKET}`, phpDocroot()) });
    const url = `http://127.0.0.1:${site.port}/`;
    const state = stateDir(later);
    const { report, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('socket-missing');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true, rolledBack: false });
    expect(changesOf(report, 'command')).toEqual([expect.objectContaining({ command: 'service php8.2-fpm start', status: 'ran', durable: true, undo: [['service', 'php8.2-fpm', 'stop']] })]);
    expect(await answer(url)).toEqual({ status: 200, body: 'hello from php\n' });

    const undone = await undo(state);
    expect(undone.stdout).toContain('undid service php8.2-fpm start: service php8.2-fpm stop');
    expect(existsSync(STOCK_SOCKET)).toBe(false);
  });

  it('backend-down: a stale socket of the stopped stock php-fpm; its init script starts it', async () => {
    expect(existsSync(STOCK_SOCKET), `${STOCK_SOCKET} exists: stop the stock php8.2-fpm before this test`).toBe(false);
    guardStockPool();
    later(() => stopByPidFile(STOCK_PID));
    // A socket file nobody listens on any more: what a php-fpm killed with SIGKILL leaves behind.
    execFileSync('python3', ['-c', 'import socket,os,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); os._exit(0)', STOCK_SOCKET]);
    execFileSync('chown', ['www-data:www-data', '--', STOCK_SOCKET]);
    execFileSync('chmod', ['660', '--', STOCK_SOCKET]);
    later(() => {
      if (!existsSync(STOCK_PID) && existsSync(STOCK_SOCKET)) execFileSync('rm', ['-f', '--', STOCK_SOCKET]);
    });
    const site = await nginx({ user: 'www-data www-data', server: fastcgi(`unix:${STOCK_SOCKET}`, phpDocroot()) });
    const url = `http://127.0.0.1:${site.port}/`;
    const state = stateDir(later);
    const { report, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('backend-down');
    expect(report.steps.map((s: { node: string }) => s.node)).toContain('socket-stale-config');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true });
    expect(changesOf(report, 'command').map((c) => c.command)).toEqual(['service php8.2-fpm start']);
    expect((await answer(url)).status).toBe(200);
  });

  it('socket-missing: php-fpm runs, its pool makes the socket under another path; nginx is pointed there', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock'), pool: 'listen.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660' });
    // php-fpm makes the socket www-data's, mode 0660: nginx's workers run as www-data too.
    const site = await nginx({ user: 'www-data www-data', server: fastcgi(`unix:${join(dir, 'old-app.sock')}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const state = stateDir(later);
    const { report, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('socket-missing');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true });
    expect(readFileSync(site.confFile, 'utf8')).toContain(`fastcgi_pass unix:${join(dir, 'app.sock')};`);
    expect(await answer(url)).toEqual({ status: 200, body: 'hello from php\n' });
  });

  it('socket-tcp-mismatch: nginx dials TCP, the php-fpm pool listens on a socket; nginx is pointed at the socket', async () => {
    // A box of its own, so that only this php-fpm listens where ss looks.
    const ns = createNetns();
    later(() => ns.remove());
    const dir = scratchDir();
    const socket = join(dir, 'php.sock');
    const fpm = await phpFpm({ listen: socket, netns: ns, pool: 'listen.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660' });
    const port = await freePort();
    const site = await startNginx({ netns: ns, user: 'www-data www-data', server: fastcgi(`127.0.0.1:${port}`, fpm.docroot) });
    later(
      () => site.remove(),
      () => site.stop(),
    );
    const url = `http://127.0.0.1:${site.port}/`;
    const { report, stderr } = await applyFix(url, stateDir(later), { wrap: ns.exec });
    expect(report.diagnosis.cause, stderr).toBe('socket-tcp-mismatch');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true });
    expect(readFileSync(site.confFile, 'utf8')).toContain(`fastcgi_pass unix:${socket};`);
    expect(await answer(url, ns.exec)).toEqual({ status: 200, body: 'hello from php\n' });
  });

  it('stale-dns: the reload is the fix (nginx resolves the name again); tested and proven', async () => {
    const ns = createNetns({ hosts: '127.0.0.1 localhost\n127.0.0.2 app.test\n' });
    later(() => ns.remove());
    const port = await freePort();
    const site = await startNginx({ netns: ns, server: `location / { proxy_pass http://app.test:${port}; }` });
    later(
      () => site.remove(),
      () => site.stop(),
    );
    writeFileSync(`/etc/netns/${ns.name}/hosts`, '127.0.0.1 localhost\n127.0.0.3 app.test\n');
    const backend = await startBackendIn(ns, '127.0.0.3', port);
    later(() => backend.stop());
    const url = `http://127.0.0.1:${site.port}/`;
    const config = readFileSync(site.confFile, 'utf8');
    const state = stateDir(later);
    const { report, stderr } = await applyFix(url, state, { wrap: ns.exec });
    expect(report.diagnosis.cause, stderr).toBe('stale-dns');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true, rolledBack: false });
    expect(changesOf(report, 'edit')).toEqual([]);
    expect(changesOf(report, 'reload')[0].proof).toMatch(/started new workers/);
    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    expect((await answer(url, ns.exec)).status).toBe(200);
  });
});
