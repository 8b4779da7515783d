import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { gunicornUnderSupervisor } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe('gunicorn on a unix socket, run by supervisord, behind Debian nginx (sites-enabled)', () => {
  for (const neighbours of [false, true]) {
    const among = neighbours ? ' (among the default site, an admin vhost before it, a redirect vhost and conf.d servers)' : '';
    it(`socket-missing: supervisorctl stop shop; the program whose command binds the socket is started again, and the site answers${among}`, async () => {
      const stack = await use(gunicornUnderSupervisor({ neighbours }));
      stack.box.run(['supervisorctl', 'stop', 'shop']);
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('socket-missing');
      expect(report.fix.commands).toEqual(['supervisorctl start shop']);
      expect(JSON.stringify(report.diagnosis.evidence)).toContain('/etc/supervisor/conf.d/shop.conf');
      // Routed to the shop's own vhost, whatever else is enabled.
      const route = report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'route').flatMap((e: { lines: string[] }) => e.lines);
      expect(route).toContain('server_name shop.example matches shop.example (exact) (/etc/nginx/sites-enabled/shop:1)');
      expect(route).toContain('/ matches location / (/etc/nginx/sites-enabled/shop:7)');
      // Where to read why it stopped: supervisord's stdout_logfile and gunicorn's own --error-logfile.
      expect(report.fix.notes.join('\n')).toContain('tail -n 100 -- /var/log/shop/out.log /var/log/shop/error.log');

      const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
      expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
      expect(stack.box.run(['supervisorctl', 'status', 'shop'])).toMatch(/RUNNING/);
    });
  }

  it("backend-crashed: a worker dies of SIGSEGV on /crash; gunicorn's own --error-logfile says so", async () => {
    const stack = await use(gunicornUnderSupervisor());
    const { report } = await inBox(stack, ['--json', '--url', 'http://shop.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('Worker with pid');
    expect(report.fix.commands).toContain('tail -n 200 -- /var/log/shop/error.log');
  });

  it('backend-hung: the gunicorn master and workers stopped (SIGSTOP); continued, and the site answers', async () => {
    const stack = await use(gunicornUnderSupervisor({ proxyExtra: 'proxy_read_timeout 2s;' }));
    const master = stack.box.run(['supervisorctl', 'pid', 'shop']).trim();
    const workers = stack.box.run(['ps', '-o', 'pid=', '--ppid', master]).trim().split(/\s+/);
    stack.box.run(['kill', '-STOP', '--', master, ...workers]);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.fix.commands, JSON.stringify(report.diagnosis.evidence.filter((e: any) => e.node === 'backend-timing'))).toEqual([`kill -CONT -- ${[master, ...workers].sort().join(' ')}`]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  for (const [dials, binds] of [
    ['http://unix:/run/shop/gunicorn.sock', '127.0.0.1:8000'],
    ['http://127.0.0.1:8000', 'unix:/run/shop/gunicorn.sock'],
  ]) {
    it(`socket-tcp-mismatch: nginx dials ${dials}, gunicorn binds ${binds}; found from the only application server of that kind, nginx retargeted`, async () => {
      const stack = await use(gunicornUnderSupervisor({ nginxDials: dials, gunicornBind: binds }));
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('socket-tcp-mismatch');
      expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', before: `proxy_pass ${dials};`, after: `proxy_pass http://${binds};` })]);
      const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
      expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
      // The vhost is a symlink into sites-available: the real file changed, the link stayed.
      expect(stack.box.run(['readlink', '/etc/nginx/sites-enabled/shop']).trim()).toBe('/etc/nginx/sites-available/shop');
    });
  }
});
