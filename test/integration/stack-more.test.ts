import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
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
import { runCli } from './lab/badgateway.js';
import { waitInBox } from './lab/box.js';
import { initScriptBackend, nodeUnderPm2 } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;
const nodes = (report: { diagnosis: { evidence: { node: string; lines: string[] }[] } }, node: string) => report.diagnosis.evidence.filter((e) => e.node === node).flatMap((e) => e.lines);

describe('a Node app under pm2', () => {
  it("backend-crashed: the app dies of SIGSEGV on /crash and pm2 starts it again; pm2's own log says so", async () => {
    const stack = await use(nodeUnderPm2());
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    const evidence = JSON.stringify(report.diagnosis.evidence);
    expect(evidence).toContain('App [api:0] exited with code [0] via signal [SIGSEGV]');
    expect(evidence).toContain('pm2 (/root/.pm2) runs the app api for it');
    expect(report.fix.commands).toContain('tail -n 200 -- /root/.pm2/pm2.log');
    // pm2 restarted it: the app answers again.
    expect(stack.box.run(['curl', '-s', '-H', 'Host: api.example', 'http://127.0.0.1/'])).toBe('api ok\n');
  });

  it('wrong-port: the ecosystem file gives the app PORT=3001, nginx dials 3000; nginx retargeted, applied and verified', async () => {
    const stack = await use(pm2OtherPort(3001));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('wrong-port');
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', before: 'proxy_pass http://127.0.0.1:3000;', after: 'proxy_pass http://127.0.0.1:3001;' })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});

describe('a backend started by /etc/init.d/shop-api', () => {
  it('wrong-port: /etc/default/shop-api moved it to PORT=8002, nginx dials 8001; nginx retargeted, applied and verified', async () => {
    const stack = await use(initScriptOtherPort(8002));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('wrong-port');
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', before: 'proxy_pass http://127.0.0.1:8001;', after: 'proxy_pass http://127.0.0.1:8002;' })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});

describe('gunicorn on a unix socket under supervisord', () => {
  it('read-timeout: a view that takes 5 s, proxy_read_timeout 2s, workers free; the timeout raised, applied and verified', async () => {
    const stack = await use(gunicornSlow({ workers: 2, proxyExtra: 'proxy_read_timeout 2s;' }));
    const url = 'http://shop.example/slow?s=5';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream timed out (110: Connection timed out) while reading response header from upstream');
    expect(nodes(report, 'backend-timing').join('\n')).toMatch(/the backend answered 200 after 5\d{3}/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', before: 'proxy_read_timeout 2s;' })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 90_000);

  it("backend-saturated: one sync worker held by slow requests, the others wait in the socket's queue; gunicorn's --workers raised in its supervisord program (sized by CPUs and memory), no timeout raised, applied and verified", async () => {
    const stack = await use(gunicornAllWorkersBusy());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.steps.find((s: { node: string }) => s.node === 'backend-timing')).toMatchObject({ outcome: 'queued' });
    expect(report.steps.at(-1)).toMatchObject({ node: 'busy-settings', outcome: 'gunicorn' });
    expect(nodes(report, 'backend-timing').join('\n')).toMatch(/\/run\/shop\/gunicorn\.sock: [1-9]\d* connection\(s\) waiting to be accepted/);
    const cpus = Number(stack.box.run(['nproc']).trim());
    expect(nodes(report, 'busy-settings').join('\n')).toMatch(
      new RegExp(`workers 1 -> ${2 * cpus + 1}: ${cpus} CPUs? \\(2 x CPUs \\+ 1 = ${2 * cpus + 1}\\), each worker uses about \\d+ MB, \\d+ MB available`),
    );
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/supervisor/conf.d/shop.conf', after: expect.stringContaining(`--workers ${2 * cpus + 1} `) })]);
    expect(report.fix.commands).toEqual(['supervisorctl update shop']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    // The master and its new workers.
    expect(stack.box.run(['pgrep', '-c', '-f', '^/usr/bin/python3 /usr/bin/gunicorn']).trim()).toBe(String(2 * cpus + 2));
  }, 120_000);

  it("socket-permission: gunicorn run as root with --umask 077 makes a socket only root may open; gunicorn's own --umask and --group changed in the supervisord program, applied, verified, still open after supervisord restarts it; undo brings the old command back through supervisorctl update", async () => {
    const stack = await use(gunicornPrivateSocket());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-permission');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('connect() to unix:/run/shop/gunicorn.sock failed (13: Permission denied)');
    expect(report.fix.edits).toEqual([
      expect.objectContaining({
        file: '/etc/supervisor/conf.d/shop.conf',
        line: 2,
        after: 'command=/usr/bin/gunicorn --group www-data --workers 2 --umask 007 --bind unix:/run/shop/gunicorn.sock --error-logfile /var/log/shop/error.log app:app',
      }),
    ]);
    expect(report.fix.commands).toEqual(['chgrp www-data -- /run/shop/gunicorn.sock', 'chmod g+rw -- /run/shop/gunicorn.sock', 'supervisorctl update shop']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.run(['stat', '-c', '%a %G', '/run/shop/gunicorn.sock'])).toBe('770 www-data\n');
    stack.box.run(['supervisorctl', 'restart', 'shop']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'shop answering through nginx after its restart');
    // badgateway undo: the program's old command back, and gunicorn restarted with it through supervisorctl update.
    const undone = await runCli(['undo'], { wrap: stack.box.exec, env: { ...process.env, ...BOX_STATE }, timeoutMs: 60_000 });
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
    expect(stack.box.read('/etc/supervisor/conf.d/shop.conf')).toContain('--workers 2 --umask 077 --bind');
    await waitInBox(stack.box, ['sh', '-c', 'test "$(stat -c %a /run/shop/gunicorn.sock)" = 700'], 'the private socket again after undo');
  }, 120_000);
});

describe("Debian's uwsgi", () => {
  it('backend-saturated: one process, listen = 2, held by slow requests; nginx gets EAGAIN, the queue is full; processes and listen raised in the app ini (listen capped by somaxconn), applied and verified', async () => {
    const stack = await use(uwsgiQueueFull());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('(11: Resource temporarily unavailable) while connecting to upstream');
    // uwsgi reports its queue only for TCP sockets; for this one it names the backlog it was given.
    expect(stack.box.read('/var/log/uwsgi/app/shop.log')).toContain('your server socket listen backlog is limited to 2 connections');
    expect(nodes(report, 'socket-queue').join('\n')).toMatch(/\/run\/uwsgi\/app\/shop\/socket: \d+ connection\(s\) waiting to be accepted, queue size 2/);
    const cpus = Number(stack.box.run(['nproc']).trim());
    const somaxconn = Number(stack.box.run(['cat', '/proc/sys/net/core/somaxconn']).trim());
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: '/etc/uwsgi/apps-enabled/shop.ini', before: 'processes = 1', after: `processes = ${2 * cpus + 1}` }),
      expect.objectContaining({ file: '/etc/uwsgi/apps-enabled/shop.ini', before: 'listen = 2', after: `listen = ${Math.min(128, somaxconn)}` }),
    ]);
    expect(report.fix.commands).toEqual(['service uwsgi restart']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);
});

describe("Debian's uwsgi, its socket", () => {
  it("socket-permission: apps-enabled/shop.ini gives the socket to nobody with chmod-socket = 600; the ini's own chmod-socket and chown-socket changed, applied, verified, and still open after the init script restarts uwsgi", async () => {
    const stack = await use(uwsgiPrivateSocket());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-permission');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('connect() to unix:/run/uwsgi/app/shop/socket failed (13: Permission denied)');
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: '/etc/uwsgi/apps-enabled/shop.ini', before: 'chmod-socket = 600', after: 'chmod-socket = 660' }),
      expect.objectContaining({ file: '/etc/uwsgi/apps-enabled/shop.ini', before: 'chown-socket = nobody:nogroup', after: 'chown-socket = www-data:www-data' }),
    ]);
    // Debian's init script runs every app of apps-enabled: it is what restarts this one.
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('/etc/init.d/uwsgi starts uwsgi pid');
    expect(report.fix.commands).toEqual(['chgrp www-data -- /run/uwsgi/app/shop/socket', 'chmod g+rw -- /run/uwsgi/app/shop/socket', 'service uwsgi restart']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    // The ini behind apps-enabled's link changed; the link stays.
    expect(stack.box.read('/etc/uwsgi/apps-available/shop.ini')).toContain('chmod-socket = 660');
    expect(stack.box.run(['readlink', '/etc/uwsgi/apps-enabled/shop.ini'])).toBe('/etc/uwsgi/apps-available/shop.ini\n');
    stack.box.run(['service', 'uwsgi', 'restart']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'shop answering through nginx after its restart');
    expect(stack.box.run(['stat', '-c', '%a %U', '/run/uwsgi/app/shop/socket'])).toBe('660 www-data\n');
  }, 90_000);
});

describe("Debian's uwsgi, timed in its own protocol", () => {
  it('read-timeout: a view that takes 5 s, uwsgi_read_timeout 2s; timed with a uwsgi request, the timeout raised, applied and verified', async () => {
    const stack = await use(uwsgiSlow('', 'uwsgi_read_timeout 2s;'));
    const url = 'http://shop.example/slow?s=5';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream timed out (110: Connection timed out) while reading response header from upstream');
    expect(nodes(report, 'backend-timing').join('\n')).toMatch(/the backend answered 200 after 5\d{3}/);
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', before: 'uwsgi_read_timeout 2s;', after: expect.stringMatching(/^uwsgi_read_timeout \d+s;$/) }),
    ]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 90_000);
});

describe('backends stopped with SIGSTOP (backend-hung)', () => {
  it('the init-script backend: found stopped, continued, applied and verified', async () => {
    const stack = await use(initScriptBackend());
    addToProxyPass(stack.box, 'api', 'proxy_read_timeout 2s;');
    await waitInBox(stack.box, ['sh', '-c', 'nginx -T 2>/dev/null | grep -q "proxy_read_timeout 2s"'], 'the reload');
    const pids = stopProcesses(stack.box, '^/usr/bin/python3 /srv/shop-api/server.py');
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.fix.commands).toEqual([`kill -CONT -- ${pids.join(' ')}`]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("Debian's uwsgi, master and workers: found stopped, continued, applied and verified", async () => {
    const stack = await use(uwsgiSlow('', 'uwsgi_read_timeout 2s;'));
    const pids = stopProcesses(stack.box, '^/usr/bin/uwsgi');
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.steps.at(-1)).toMatchObject({ node: 'backend-timing', outcome: 'stopped' });
    expect(report.fix.commands).toEqual([`kill -CONT -- ${pids.join(' ')}`]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});

describe("gunicorn's own --timeout", () => {
  it('backend-crashed: a view longer than --timeout 3; the WORKER TIMEOUT line read, and the note says to raise --timeout, not proxy_read_timeout', async () => {
    const stack = await use(gunicornSlow({ workers: 2, gunicornExtra: '--timeout 3' }));
    const { report } = await inBox(stack, ['--json', '--url', 'http://shop.example/slow?s=10']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream prematurely closed connection while reading response header from upstream');
    expect(nodes(report, 'closed-crash').join('\n')).toMatch(/\[CRITICAL\] WORKER TIMEOUT \(pid:\d+\)/);
    expect(report.fix.notes.join('\n')).toContain('raise --timeout');
    expect(report.fix.edits).toEqual([]);
  }, 60_000);
});

describe('a Node app under pm2 that throws', () => {
  it("backend-crashed: an uncaught exception on /throw; pm2's log gives its exit code, the app's error log the exception", async () => {
    const stack = await use(pm2AppThatThrows());
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/throw']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(stack.box.read('/root/.pm2/logs/api-error.log')).toContain('Error: cannot read the order');
    const evidence = nodes(report, 'closed-crash').join('\n');
    expect(evidence).toMatch(/App \[api:0\] exited with code \[1\] via signal \[SIGINT\]/);
    expect(evidence).toContain('Error: cannot read the order');
    expect(evidence).toContain('at Server.<anonymous> (/srv/api/server.js:');
    expect(report.fix.notes.join('\n')).toContain('The exception names the file and line');
    expect(report.fix.commands).toContain('tail -n 200 -- /root/.pm2/logs/api-error.log');
  });
});
