import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { phpFpmDebian, phpPoolOutOfChildren } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe("Debian's php8.2-fpm (its init script, its pool.d/www.conf) behind a front-controller site", () => {
  it('backend-saturated: long reports hold both children of the pool; GET / waits in the queue and times out; more children, sized by memory', async () => {
    // Two long reports hold both children of the pool (lab/stacks.ts phpPoolOutOfChildren).
    const stack = await use(phpPoolOutOfChildren());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-saturated');
    expect(report.steps.map((s: { node: string }) => s.node)).toContain('fpm-saturation');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/php/8.2/fpm/pool.d/www.conf', before: 'pm.max_children = 2', after: expect.stringMatching(/^pm\.max_children = [34]$/) })]);
    expect(report.fix.commands).toEqual(['service php8.2-fpm restart']);
    expect(JSON.stringify(report.fix.edits)).not.toContain('fastcgi_read_timeout');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  }, 120_000);

  it('not this: a slow script with children to spare is a timeout to raise, not a saturated pool', async () => {
    const stack = await use(phpFpmDebian({ scripts: { 'index.php': '<?php sleep(6); echo "slow\\n";' }, nginxExtra: 'fastcgi_read_timeout 3s;' }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('read-timeout');
    expect(report.steps.find((s: { node: string }) => s.node === 'fpm-saturation')?.outcome).toBe('room');
  });
});
