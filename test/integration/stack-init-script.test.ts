import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import { initScriptBackend, type Stack } from './lab/stacks.js';

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

describe('a backend started by /etc/init.d/shop-api with its port in /etc/default/shop-api (no systemd)', () => {
  it('backend-down: the init script whose /etc/default file names the port starts it again, applied and verified', async () => {
    const stack = await initScriptBackend();
    stacks.push(stack);
    stack.box.run(['service', 'shop-api', 'stop']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['service shop-api start']);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('/etc/default/shop-api');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], { BADGATEWAY_STATE_DIR: '/run/badgateway-state' });
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});
