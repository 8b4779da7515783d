import { describe, expect, it } from 'vitest';
import { pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { waitInBox } from './lab/box.js';
import {
  addToProxyPass,
  gunicornAllWorkersBusy,
  gunicornPrivateSocket,
  gunicornSlow,
  initScriptOtherPort,
  pm2AppThatThrows,
  pm2OtherPort,
  stopProcesses,
  uwsgiPrivateSocket,
  uwsgiQueueFull,
  uwsgiSlow,
} from './lab/stacks-more.js';
import { initScriptBackend, nodeUnderPm2 } from './lab/stacks.js';

// The boxes are removed after the sshd and its client (afterEach hooks run in reverse order of registration).
const { use: box } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;

describe('more causes on the stacks over --ssh', () => {
  it("pm2 backend-crashed: pm2's own log read over SSH", async () => {
    const stack = await box(nodeUnderPm2());
    const { report } = await overSsh(stack, ['--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('App [api:0] exited with code [0] via signal [SIGSEGV]');
  });

  it('pm2 wrong-port (PORT=3001, nginx dials 3000): nginx retargeted over SSH, verified', async () => {
    const stack = await box(pm2OtherPort(3001));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('wrong-port');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('init-script wrong-port (/etc/default PORT=8002, nginx dials 8001): nginx retargeted over SSH, verified', async () => {
    const stack = await box(initScriptOtherPort(8002));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('wrong-port');
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: 'proxy_pass http://127.0.0.1:8002;' })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('gunicorn read-timeout (a 5 s view, proxy_read_timeout 2s): the timeout raised over SSH, verified', async () => {
    const stack = await box(gunicornSlow({ workers: 2, proxyExtra: 'proxy_read_timeout 2s;' }));
    const url = 'http://shop.example/slow?s=5';
    const { report } = await overSsh(stack, ['--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it("gunicorn backend-saturated (one sync worker busy): the socket's queue read, --workers raised in the supervisord program over SSH, verified", async () => {
    const stack = await box(gunicornAllWorkersBusy());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.steps.at(-1)).toMatchObject({ node: 'busy-settings', outcome: 'gunicorn' });
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/supervisor/conf.d/shop.conf', after: expect.stringMatching(/--workers \d+ /) })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it("gunicorn socket-permission (--umask 077 as root): gunicorn's --umask and --group changed in its supervisord program over SSH, verified, still open after supervisord restarts it", async () => {
    const stack = await box(gunicornPrivateSocket());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-permission');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/supervisor/conf.d/shop.conf', after: expect.stringContaining('--group www-data --workers 2 --umask 007') })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    stack.box.run(['supervisorctl', 'restart', 'shop']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'shop answering through nginx after its restart');
  }, 120_000);

  it('uwsgi backend-saturated (one process, listen = 2, full): the queue read, processes and listen raised in the app ini over SSH, verified', async () => {
    const stack = await box(uwsgiQueueFull());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.fix.edits).toEqual([expect.objectContaining({ before: 'processes = 1' }), expect.objectContaining({ before: 'listen = 2' })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it("uwsgi socket-permission (chown-socket nobody, chmod-socket 600): the app ini's chmod-socket and chown-socket changed over SSH, verified, still open after the init script restarts uwsgi", async () => {
    const stack = await box(uwsgiPrivateSocket());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-permission');
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: 'chmod-socket = 660' }), expect.objectContaining({ after: 'chown-socket = www-data:www-data' })]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    stack.box.run(['service', 'uwsgi', 'restart']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'shop answering through nginx after its restart');
  }, 120_000);

  it('uwsgi read-timeout (a 5 s view, uwsgi_read_timeout 2s): timed in the uwsgi protocol over SSH, the timeout raised, verified', async () => {
    const stack = await box(uwsgiSlow('', 'uwsgi_read_timeout 2s;'));
    const url = 'http://shop.example/slow?s=5';
    const { report } = await overSsh(stack, ['--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it('the init-script backend stopped with SIGSTOP (backend-hung): continued over SSH, verified', async () => {
    const stack = await box(initScriptBackend());
    addToProxyPass(stack.box, 'api', 'proxy_read_timeout 2s;');
    await waitInBox(stack.box, ['sh', '-c', 'nginx -T 2>/dev/null | grep -q "proxy_read_timeout 2s"'], 'the reload');
    const pids = stopProcesses(stack.box, '^/usr/bin/python3 /srv/shop-api/server.py');
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.fix.commands).toEqual([`kill -CONT -- ${pids.join(' ')}`]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("Debian's uwsgi stopped with SIGSTOP (backend-hung): continued over SSH, verified", async () => {
    const stack = await box(uwsgiSlow('', 'uwsgi_read_timeout 2s;'));
    stopProcesses(stack.box, '^/usr/bin/uwsgi');
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("gunicorn's worker killed by its own --timeout (backend-crashed): WORKER TIMEOUT read over SSH", async () => {
    const stack = await box(gunicornSlow({ workers: 2, gunicornExtra: '--timeout 3' }));
    const { report } = await overSsh(stack, ['--url', 'http://shop.example/slow?s=10']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('WORKER TIMEOUT');
  }, 60_000);

  it('the Node app under pm2 stopped with SIGSTOP (backend-hung): continued over SSH, verified', async () => {
    const stack = await box(nodeUnderPm2({ proxyExtra: 'proxy_read_timeout 2s;' }));
    const pids = stopProcesses(stack.box, '^node /srv/api/server.js');
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.fix.commands).toEqual([`kill -CONT -- ${pids.join(' ')}`]);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("a Node app's uncaught exception under pm2 (backend-crashed): pm2's log and the app's error log read over SSH", async () => {
    const stack = await box(pm2AppThatThrows());
    const { report } = await overSsh(stack, ['--url', 'http://api.example/throw']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('Error: cannot read the order');
  });
});
