import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { uwsgiApp } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe("Debian's uwsgi (apps-enabled/shop.ini, /etc/init.d/uwsgi) behind uwsgi_pass", () => {
  it('uwsgi stopped: the app is started again with its init script, applied and verified', async () => {
    const stack = await use(uwsgiApp());
    stack.box.run(['service', 'uwsgi', 'stop']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(['socket-missing', 'backend-down']).toContain(report.diagnosis.cause);
    expect(report.fix.commands).toEqual(['service uwsgi start']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("backend-crashed: a worker dies of SIGSEGV; uwsgi's own log (--daemonize FILE) says so", async () => {
    const stack = await use(uwsgiApp());
    const { report } = await inBox(stack, ['--json', '--url', 'http://shop.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('got Segmentation Fault');
  });

  it('protocol-mismatch: proxy_pass (HTTP) to the uwsgi socket; the fix is uwsgi_pass, applied and verified', async () => {
    const stack = await use(uwsgiApp({ nginxPass: 'include proxy_params;\n        proxy_pass http://unix:/run/uwsgi/app/shop/socket;' }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('protocol-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', after: expect.stringContaining('uwsgi_pass unix:/run/uwsgi/app/shop/socket;') })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});
