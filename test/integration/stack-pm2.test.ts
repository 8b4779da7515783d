import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import { nodeUnderPm2, type Stack } from './lab/stacks.js';

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

describe('a Node app under pm2 (ecosystem file, PORT=3000) behind Debian nginx', () => {
  it('backend-down: pm2 stop api; the stopped app whose PORT nginx dials is started by its own daemon, applied and verified', async () => {
    const stack = await nodeUnderPm2();
    stacks.push(stack);
    stack.box.run(['pm2', 'stop', 'api']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['env PM2_HOME=/root/.pm2 pm2 start api']);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], { BADGATEWAY_STATE_DIR: '/run/badgateway-state' });
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    // Still one daemon: nothing asked pm2 in a way that starts another.
    expect(
      stack.box
        .run(['ps', '-eo', 'args='])
        .split('\n')
        .filter((l) => l.includes('God Daemon')),
    ).toHaveLength(1);
  });
});
