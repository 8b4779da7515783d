import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { waitInBox } from './lab/box.js';
import { runitBackend } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe("a backend run by runit (/etc/sv/shop-api/run linked into /etc/service, runsvdir from Debian's runit)", () => {
  it('backend-down: sv stop shop-api; the runit service whose run script names the port is started with sv, applied and verified', async () => {
    const stack = await use(runitBackend());
    stack.box.run(['sv', 'stop', 'shop-api']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.steps.find((s: { node: string }) => s.node === 'backend-down-service')?.outcome).toBe('runit');
    expect(report.fix.commands).toEqual(['sv start shop-api']);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('/etc/sv/shop-api/run');
    // Where to read why it stopped: the log svlogd writes for the service (its log/run).
    expect(report.fix.notes.join('\n')).toContain('tail -n 100 -- /var/log/shop-api/current');

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.run(['sv', 'status', 'shop-api'])).toMatch(/^run: shop-api: \(pid \d+\)/);
  });

  it('not this: runsvdir and the runsv are gone too, so sv cannot start it and is not offered', async () => {
    const stack = await use(runitBackend());
    stack.box.run(['sv', 'stop', 'shop-api']);
    // runsvdir first (else it starts a new runsv), then the service's runsv: both by pid.
    for (const name of ['runsvdir', 'runsv']) {
      const pid = stack.box.run(['pgrep', '-x', name]).trim();
      stack.box.run(['kill', '--', pid]);
    }
    // runsv leaves once its log service has ended too.
    await waitInBox(stack.box, ['sh', '-c', '! pgrep -x runsv'], 'runsv gone', 10_000);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.steps.find((s: { node: string }) => s.node === 'backend-down-service')?.outcome).not.toBe('runit');
    expect(JSON.stringify(report.fix.commands)).not.toContain('sv start');
  });
});
