import { describe, expect, it } from 'vitest';
import { waitInBox } from './lab/box.js';
import { initGunicornAllWorkersBusy, initGunicornPrivateSocket } from './lab/gunicorn-init.js';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';

const { use, inBox } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;
const nodes = (report: { diagnosis: { evidence: { node: string; lines: string[] }[] } }, node: string) => report.diagnosis.evidence.filter((e) => e.node === node).flatMap((e) => e.lines);

describe('gunicorn started by /etc/init.d/shop with its flags in DAEMON_OPTS of /etc/default/shop (no systemd, no supervisord)', () => {
  it('backend-saturated: one busy sync worker; --workers raised in /etc/default/shop, restarted with service shop restart, applied and verified', async () => {
    const stack = await use(initGunicornAllWorkersBusy());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.steps.find((s: { node: string }) => s.node === 'busy-service')?.outcome, path(report)).toBe('sysv');
    expect(report.steps.at(-1)).toMatchObject({ node: 'busy-settings', outcome: 'gunicorn' });
    expect(nodes(report, 'busy-settings').join('\n')).toContain('gunicorn is set in /etc/default/shop:2: workers 1, user www-data, group www-data');
    const cpus = Number(stack.box.run(['nproc']).trim());
    const workers = 2 * cpus + 1;
    expect(report.fix.edits).toEqual([
      expect.objectContaining({
        file: '/etc/default/shop',
        line: 2,
        before: 'DAEMON_OPTS="--workers 1 --user www-data --group www-data --bind unix:/run/shop/gunicorn.sock app:app"',
        after: `DAEMON_OPTS="--workers ${workers} --user www-data --group www-data --bind unix:/run/shop/gunicorn.sock app:app"`,
      }),
    ]);
    expect(report.fix.commands).toEqual(['service shop restart']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    // The master and its new workers, started by the init script from the edited file (the old master's workers, killed with it, gone soon after).
    await waitInBox(stack.box, ['sh', '-c', `test "$(pgrep -c -f '^/usr/bin/python3 /usr/bin/gunicorn')" = ${workers + 1}`], 'the new master and its workers', 10_000);
    expect(stack.box.read('/etc/default/shop')).toContain(`--workers ${workers} `);
  }, 150_000);

  it('socket-permission: gunicorn as root with --umask 077; --umask 007 --group www-data set in /etc/default/shop, applied, verified, and the socket still open after the init script restarts it', async () => {
    const stack = await use(initGunicornPrivateSocket());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-permission');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('connect() to unix:/run/shop/gunicorn.sock failed (13: Permission denied)');
    expect(report.fix.edits).toEqual([
      expect.objectContaining({
        file: '/etc/default/shop',
        line: 2,
        after: 'DAEMON_OPTS="--group www-data --workers 2 --umask 007 --bind unix:/run/shop/gunicorn.sock app:app"',
      }),
    ]);
    expect(report.fix.commands).toEqual(['chgrp www-data -- /run/shop/gunicorn.sock', 'chmod g+rw -- /run/shop/gunicorn.sock', 'service shop restart']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.run(['stat', '-c', '%a %G', '/run/shop/gunicorn.sock'])).toBe('770 www-data\n');
    stack.box.run(['service', 'shop', 'restart']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'shop answering through nginx after its restart');
  }, 150_000);

  it('over SSH: socket-permission and backend-saturated, the same edits of /etc/default/shop and service shop restart, applied and verified', async () => {
    const privateSocket = await use(initGunicornPrivateSocket());
    const { report } = await overSsh(privateSocket, ['--url', privateSocket.url]);
    expect(report.diagnosis.cause, path(report)).toBe('socket-permission');
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: '/etc/default/shop', after: 'DAEMON_OPTS="--group www-data --workers 2 --umask 007 --bind unix:/run/shop/gunicorn.sock app:app"' }),
    ]);
    const applied = await overSsh(privateSocket, ['--apply', '--yes', '--url', privateSocket.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });

    const busy = await use(initGunicornAllWorkersBusy());
    const saturated = await overSsh(busy, ['--url', busy.url]);
    expect(saturated.report.diagnosis.cause, path(saturated.report)).toBe('backend-saturated');
    expect(saturated.report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/default/shop', line: 2 })]);
    expect(saturated.report.fix.commands).toEqual(['service shop restart']);
    const healed = await overSsh(busy, ['--apply', '--yes', '--url', busy.url]);
    expect(healed.report.fix, JSON.stringify(healed.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 200_000);
});
