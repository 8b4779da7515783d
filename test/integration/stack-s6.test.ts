import { describe, expect, it } from 'vitest';
import { waitInBox } from './lab/box.js';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { s6Backend } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe("a backend run by s6 (its service directory in the scan directory /run/service, s6-svscan from Debian's s6)", () => {
  it('backend-down: s6-svc -d; the s6 service whose run script names the port is brought up with s6-svc -u, applied and verified', async () => {
    const stack = await use(s6Backend());
    stack.box.run(['s6-svc', '-d', '/run/service/shop-api']);
    await waitInBox(stack.box, ['sh', '-c', 's6-svstat /run/service/shop-api | grep -q ^down'], 'the service down');
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.steps.find((s: { node: string }) => s.node === 'backend-down-service')?.outcome).toBe('s6');
    expect(report.fix.commands).toEqual(['s6-svc -u /run/service/shop-api']);
    expect(report.fix.notes.join('\n')).toContain('tail -n 100 -- /var/log/shop-api/current');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.run(['s6-svstat', '/run/service/shop-api'])).toMatch(/^up \(pid \d+\)/);
  });
});
