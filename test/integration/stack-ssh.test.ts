import { describe, expect, it } from 'vitest';
import { waitInBox } from './lab/box.js';
import { pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { gunicornUnderSupervisor, initScriptBackend, nodeUnderPm2, phpFpmDebian, phpPoolOutOfChildren, runitBackend, s6Backend, uwsgiApp } from './lab/stacks.js';

const { overSsh } = sshScope();
const { use: box } = stackScope();
const path = pathOf;

describe('the stacks over --ssh: the same causes, every command on the box through its sshd', () => {
  it('gunicorn under supervisord stopped: socket-missing, and supervisorctl start shop applied over SSH and verified', async () => {
    const stack = await box(gunicornUnderSupervisor());
    stack.box.run(['supervisorctl', 'stop', 'shop']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-missing');
    expect(report.fix.commands).toEqual(['supervisorctl start shop']);
    expect(report.hosts).toEqual([expect.objectContaining({ role: 'proxy', privilege: { mode: 'root' } })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('a crashing worker read from its own log over SSH (backend-crashed)', async () => {
    const stack = await box(gunicornUnderSupervisor());
    const { report } = await overSsh(stack, ['--url', 'http://shop.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('terminated due to signal 11');
  });

  it("Debian's php8.2-fpm stopped behind the front controller: socket-missing, started with its init script over SSH, verified", async () => {
    const stack = await box(phpFpmDebian());
    stack.box.run(['service', 'php8.2-fpm', 'stop']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-missing');
    expect(report.fix.commands).toEqual(['service php8.2-fpm start']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("Debian's uwsgi stopped: its app's socket is gone; started with uwsgi's init script over SSH, verified", async () => {
    const stack = await box(uwsgiApp());
    stack.box.run(['service', 'uwsgi', 'stop']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-missing');
    expect(report.fix.commands).toEqual(['service uwsgi start']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('php8.2-fpm out of children (backend-saturated): the pool gets more children over SSH, restarted with its init script, verified', async () => {
    const stack = await box(phpPoolOutOfChildren());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/php/8.2/fpm/pool.d/www.conf', before: 'pm.max_children = 2' })]);
    expect(report.fix.commands).toEqual(['service php8.2-fpm restart']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it("FastCGI header-too-big: the head measured with the box's own cgi-fcgi over SSH, fastcgi_buffer_size set, verified", async () => {
    const cookies = '<?php for ($i = 0; $i < 40; $i++) setcookie("c$i", str_repeat("x", 200)); echo "blog ok\\n";';
    const stack = await box(phpFpmDebian({ scripts: { 'index.php': cookies }, neighbours: true }));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('sent by cgi-fcgi on the box');
    // A box without cgi-fcgi (hidden in the box's own mount namespace): the python3 client carried in the command.
    stack.box.run(['mount', '--bind', '/dev/null', '/usr/bin/cgi-fcgi']);
    const again = await overSsh(stack, ['--url', stack.url]);
    expect(JSON.stringify(again.report.diagnosis.evidence)).toContain('sent by python3 on the box');
    expect(again.report.fix.edits).toEqual(report.fix.edits);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/blog', after: expect.stringContaining('fastcgi_buffer_size 16k;') })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('a Node app stopped under pm2 (backend-down): started by its own pm2 daemon over SSH, verified', async () => {
    const stack = await box(nodeUnderPm2());
    stack.box.run(['pm2', 'stop', 'api']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['env PM2_HOME=/root/.pm2 pm2 start api']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('an init-script backend stopped (backend-down): its /etc/default port found and the script started over SSH, verified', async () => {
    const stack = await box(initScriptBackend());
    stack.box.run(['service', 'shop-api', 'stop']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['service shop-api start']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('a runit service stopped (backend-down): sv start over SSH, verified', async () => {
    const stack = await box(runitBackend());
    stack.box.run(['sv', 'stop', 'shop-api']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['sv start shop-api']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('an s6 service stopped (backend-down): s6-svc -u over SSH, verified', async () => {
    const stack = await box(s6Backend());
    stack.box.run(['s6-svc', '-d', '/run/service/shop-api']);
    await waitInBox(stack.box, ['sh', '-c', 's6-svstat /run/service/shop-api | grep -q ^down'], 'the service down');
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['s6-svc -u /run/service/shop-api']);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('gunicorn stopped with SIGSTOP (backend-hung): its processes continued over SSH, verified', async () => {
    const stack = await box(gunicornUnderSupervisor({ proxyExtra: 'proxy_read_timeout 2s;' }));
    const master = stack.box.run(['supervisorctl', 'pid', 'shop']).trim();
    const workers = stack.box.run(['ps', '-o', 'pid=', '--ppid', master]).trim().split(/\s+/);
    stack.box.run(['kill', '-STOP', '--', master, ...workers]);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.fix.commands).toEqual([`kill -CONT -- ${[master, ...workers].sort().join(' ')}`]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('gunicorn bound to TCP while nginx dials its socket (socket-tcp-mismatch): nginx retargeted over SSH, verified', async () => {
    const stack = await box(gunicornUnderSupervisor({ gunicornBind: '127.0.0.1:8000' }));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-tcp-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', after: 'proxy_pass http://127.0.0.1:8000;' })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("a uwsgi worker's crash read from uwsgi's own log over SSH (backend-crashed)", async () => {
    const stack = await box(uwsgiApp());
    const { report } = await overSsh(stack, ['--url', 'http://shop.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('got Segmentation Fault');
  });

  it('proxy_pass to the uwsgi socket (protocol-mismatch): uwsgi_pass written over SSH, verified', async () => {
    const stack = await box(uwsgiApp({ nginxPass: 'include proxy_params;\n        proxy_pass http://unix:/run/uwsgi/app/shop/socket;' }));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('protocol-mismatch');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});
