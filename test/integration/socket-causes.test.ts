import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from './lab/badgateway.js';
import { createNetns } from './lab/netns.js';
import { NetnsHost } from './lab/netns-host.js';
import { freePort } from './lab/ports.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { later, nginx, phpFpm, scratchDir } = labScope();

/** A location that hands every request to php-fpm at `address` (as nginx writes it). */
function fastcgi(address: string, docroot = '/var/www/html'): string {
  return `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${docroot}/index.php; fastcgi_pass ${address}; }`;
}

/** The line number of the first line of a file that starts with `prefix`. */
function lineOf(file: string, prefix: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith(prefix)) + 1
  );
}

const STOCK_CONF = '/etc/php/8.2/fpm/php-fpm.conf';
const STOCK_POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const STOCK_SOCKET = '/run/php/php8.2-fpm.sock';

describe('unix sockets and php-fpm, broken for real, diagnosed with badgateway --json', () => {
  it("socket-missing: the stock php8.2-fpm is stopped; the fix starts it with this box's init script", async () => {
    // Debian's own pool creates /run/php/php8.2-fpm.sock; the service is installed but not running here.
    expect(existsSync(STOCK_SOCKET), `${STOCK_SOCKET} exists: stop the stock php8.2-fpm before this test`).toBe(false);
    expect(existsSync('/run/systemd/system'), 'this test expects a box without systemd running').toBe(false);
    const site = await nginx({ server: fastcgi(`unix:${STOCK_SOCKET}`) });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('socket-missing');
    expect(report.steps.map((s: { node: string }) => s.node).slice(-4)).toEqual(['socket-state', 'socket-missing-config', 'socket-missing-service', 'socket-missing-crash']);
    expect(report.steps.at(-3).outcome).toBe('same');
    expect(report.steps.at(-2).outcome).toBe('sysv');
    // Stopped, not dead: php-fpm's log shows no crash.
    expect(report.steps.at(-1).outcome).toBe('no-sign');
    expect(report.fix.commands).toEqual(['service php8.2-fpm start']);
    expect(report.fix.details[0].durable).toBe(true);
    expect(report.fix.notes.join('\n')).toContain(`${STOCK_POOL}:${lineOf(STOCK_POOL, 'listen =')}`);
    expect(report.fix.notes.join('\n')).toContain('/var/log/php8.2-fpm.log');
    // php-fpm's own view of its config is the evidence, not a guess from the file.
    expect(JSON.stringify(report.diagnosis.evidence)).toContain(`/usr/sbin/php-fpm8.2 -tt -y ${STOCK_CONF}`);
    expect(JSON.stringify(report.fix)).not.toContain('systemctl');
    expect(await walkWizard(url)).toContain('Cause: socket-missing');
  });

  it('socket-missing: php-fpm runs, but its pool creates the socket under another path', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock') });
    const site = await nginx({ server: fastcgi(`unix:${join(dir, 'old-app.sock')}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('socket-missing');
    expect(report.steps.at(-2)).toMatchObject({ node: 'socket-missing-config', outcome: 'other-socket' });
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: site.confFile, before: `fastcgi_pass unix:${join(dir, 'old-app.sock')};`, after: `fastcgi_pass unix:${join(dir, 'app.sock')};` }),
    ]);
    expect(report.fix.commands.at(-1)).toContain('-s reload');
    // The other way round: the pool's listen line, named by file and line.
    expect(report.fix.notes.join('\n')).toContain(`${fpm.poolFile}:${lineOf(fpm.poolFile, 'listen =')}`);
    expect(await walkWizard(url)).toContain('Cause: socket-missing');
  });

  it('socket-tcp-mismatch: nginx dials a socket, the php-fpm pool listens on TCP', async () => {
    // A box of its own, so that only this php-fpm listens on TCP where ss looks.
    const ns = createNetns();
    later(() => ns.remove());
    const dir = scratchDir();
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, netns: ns });
    const socket = join(dir, 'php.sock');
    const site = await nginx({ netns: ns, server: fastcgi(`unix:${socket}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url, { wrap: ns.exec });
    expect(report.diagnosis.cause).toBe('socket-tcp-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `fastcgi_pass unix:${socket};`, after: `fastcgi_pass 127.0.0.1:${port};` })]);
    expect(report.fix.notes.join('\n')).toContain(`${fpm.poolFile}:${lineOf(fpm.poolFile, 'listen =')}`);
    expect(await walkWizard(url, new NetnsHost(ns))).toContain('Cause: socket-tcp-mismatch');
  });

  it('socket-tcp-mismatch: nginx dials TCP, the php-fpm pool listens on a unix socket', async () => {
    // A box of its own (a network namespace): another php-fpm's TCP port on this machine would look like
    // this backend on another port.
    const ns = createNetns();
    later(() => ns.remove());
    const dir = scratchDir();
    const socket = join(dir, 'php.sock');
    const fpm = await phpFpm({ listen: socket, netns: ns });
    const port = await freePort();
    const site = await nginx({ netns: ns, server: fastcgi(`127.0.0.1:${port}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url, { wrap: ns.exec });
    expect(report.diagnosis.cause).toBe('socket-tcp-mismatch');
    expect(report.steps.map((s: { node: string }) => s.node)).toContain('tcp-backend-config');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `fastcgi_pass 127.0.0.1:${port};`, after: `fastcgi_pass unix:${socket};` })]);
    expect(report.fix.notes.join('\n')).toContain(`${fpm.poolFile}:${lineOf(fpm.poolFile, 'listen =')}`);
    expect(await walkWizard(url, new NetnsHost(ns))).toContain('Cause: socket-tcp-mismatch');
  });

  it("socket-permission: the php-fpm pool makes its socket root-only; the fix is the pool's listen.* lines and a restart", async () => {
    const dir = scratchDir();
    const socket = join(dir, 'php.sock');
    const fpm = await phpFpm({ listen: socket, pool: 'listen.owner = root\nlisten.group = root\nlisten.mode = 0600' });
    const site = await nginx({ user: 'nobody nogroup', server: fastcgi(`unix:${socket}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('socket-permission');
    expect(report.diagnosis.explanation).toContain('nobody');
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: fpm.poolFile, line: lineOf(fpm.poolFile, 'listen.owner'), before: 'listen.owner = root', after: 'listen.owner = www-data' }),
      expect.objectContaining({ file: fpm.poolFile, line: lineOf(fpm.poolFile, 'listen.group'), before: 'listen.group = root', after: 'listen.group = nogroup' }),
      expect.objectContaining({ file: fpm.poolFile, line: lineOf(fpm.poolFile, 'listen.mode'), before: 'listen.mode = 0600', after: 'listen.mode = 0660' }),
    ]);
    // A stopgap now (undone by the next restart), then the durable restart: this php-fpm was started by hand.
    expect(report.fix.details.map((d: { command: string; durable: boolean }) => [d.command, d.durable])).toEqual([
      [`chgrp nogroup -- ${socket}`, false],
      [`chmod g+rw -- ${socket}`, false],
      [`kill -QUIT -- ${fpm.process.pid}`, true],
      [`/usr/sbin/php-fpm8.2 --daemonize --fpm-config ${fpm.confFile}`, true],
    ]);
    expect(report.steps.at(-2)).toMatchObject({ node: 'socket-perm-service', outcome: 'process' });
    // php-fpm's pool is its own setting: no gunicorn command line or uwsgi ini to change.
    expect(report.steps.at(-1)).toMatchObject({ node: 'socket-perm-settings', outcome: 'none' });
    expect(await walkWizard(url)).toContain('Cause: socket-permission');
  });
});
