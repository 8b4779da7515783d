import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import { waitInBox } from './lab/box.js';
import { phpFpmDebian, type Stack } from './lab/stacks.js';

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

describe("Debian's php8.2-fpm (its init script, its pool.d/www.conf) behind a front-controller site", () => {
  it('backend-saturated: long reports hold both children of the pool; GET / waits in the queue and times out; more children, sized by memory', async () => {
    const stack = await phpFpmDebian({
      pool: { pm: 'dynamic', 'pm.max_children': '2', 'pm.start_servers': '1', 'pm.min_spare_servers': '1', 'pm.max_spare_servers': '1' },
      scripts: { 'report.php': '<?php sleep(40); echo "report\\n";' },
      nginxExtra: 'fastcgi_read_timeout 3s;',
    });
    stacks.push(stack);
    // Two long reports take both children (bounded: curl gives up after 45 s, and the box dies with the test).
    for (let i = 0; i < 2; i++) {
      const argv = stack.box.exec(['curl', '-s', '-o', '/dev/null', '-m', '45', 'http://blog.example/report.php']);
      spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' }).unref();
    }
    await waitInBox(stack.box, ['grep', '-q', 'reached pm.max_children', '/var/log/php8.2-fpm.log'], "php-fpm's max_children warning", 20_000);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.steps.map((s: { node: string }) => s.node)).toContain('fpm-saturation');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/php/8.2/fpm/pool.d/www.conf', before: 'pm.max_children = 2', after: expect.stringMatching(/^pm\.max_children = [34]$/) })]);
    expect(report.fix.commands).toEqual(['service php8.2-fpm restart']);
    expect(JSON.stringify(report.fix.edits)).not.toContain('fastcgi_read_timeout');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], { BADGATEWAY_STATE_DIR: '/run/badgateway-state' });
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it('not this: a slow script with children to spare is a timeout to raise, not a saturated pool', async () => {
    const stack = await phpFpmDebian({ scripts: { 'index.php': '<?php sleep(6); echo "slow\\n";' }, nginxExtra: 'fastcgi_read_timeout 3s;' });
    stacks.push(stack);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    expect(report.steps.find((s: { node: string }) => s.node === 'fpm-saturation')?.outcome).toBe('room');
  });
});
