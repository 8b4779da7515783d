import { describe, expect, it } from 'vitest';
import { pathOf, stackScope } from './lab/stack-run.js';
import { nodeUnderPm2 } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe('more causes on the real stacks', () => {
  it("pm2 backend-crashed: the app dies of SIGSEGV on /crash and pm2 starts it again; pm2's own log says so", async () => {
    const stack = await use(nodeUnderPm2());
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    const evidence = JSON.stringify(report.diagnosis.evidence);
    expect(evidence).toContain('App [api:0] exited with code [0] via signal [SIGSEGV]');
    expect(evidence).toContain('pm2 (/root/.pm2) runs the app api for it');
    expect(report.fix.commands).toContain('tail -n 200 -- /root/.pm2/pm2.log');
    // pm2 restarted it: the app answers again, and it was not started twice.
    expect(stack.box.run(['curl', '-s', '-H', 'Host: api.example', 'http://127.0.0.1/'])).toBe('api ok\n');
  });
});
