import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { initScriptBackend } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe('a backend started by /etc/init.d/shop-api with its port in /etc/default/shop-api (no systemd)', () => {
  it('backend-down: the init script whose /etc/default file names the port starts it again, applied and verified', async () => {
    const stack = await use(initScriptBackend());
    stack.box.run(['service', 'shop-api', 'stop']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['service shop-api start']);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('/etc/default/shop-api');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});
