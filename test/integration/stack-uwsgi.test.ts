import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import { type Stack, uwsgiApp } from './lab/stacks.js';

const stacks: Stack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.box.remove();
});

async function inBox(stack: Stack, args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = await runCli(args, { wrap: stack.box.exec, env: { ...process.env, ...env } });
  try {
    return { ...run, report: JSON.parse(run.stdout) };
  } catch {
    throw new Error(`no JSON (exit ${run.code}): ${run.stderr}`);
  }
}

const path = (report: any) => report.steps.map((s: { node: string; outcome: string }) => `${s.node}:${s.outcome}`).join(' ');

describe("Debian's uwsgi (apps-enabled/shop.ini, /etc/init.d/uwsgi) behind uwsgi_pass", () => {
  it('uwsgi stopped: the app is started again with its init script, applied and verified', async () => {
    const stack = await uwsgiApp();
    stacks.push(stack);
    stack.box.run(['service', 'uwsgi', 'stop']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(['socket-missing', 'backend-down']).toContain(report.diagnosis.cause);
    expect(report.fix.commands).toEqual(['service uwsgi start']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], { BADGATEWAY_STATE_DIR: '/run/badgateway-state' });
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it("backend-crashed: a worker dies of SIGSEGV; uwsgi's own log (--daemonize FILE) says so", async () => {
    const stack = await uwsgiApp();
    stacks.push(stack);
    const { report } = await inBox(stack, ['--json', '--url', 'http://shop.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('got Segmentation Fault');
  });

  it('protocol-mismatch: proxy_pass (HTTP) to the uwsgi socket; the fix is uwsgi_pass', async () => {
    const stack = await uwsgiApp({ nginxPass: 'include proxy_params;\n        proxy_pass http://unix:/run/uwsgi/app/shop/socket;' });
    stacks.push(stack);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('protocol-mismatch');
  });
});
