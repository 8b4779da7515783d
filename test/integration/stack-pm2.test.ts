import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { nodeUnderPm2 } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;

describe('a Node app under pm2 (ecosystem file, PORT=3000) behind Debian nginx', () => {
  it('backend-down: pm2 stop api; the stopped app whose PORT nginx dials is started by its own daemon, applied and verified', async () => {
    const stack = await use(nodeUnderPm2());
    stack.box.run(['pm2', 'stop', 'api']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['env PM2_HOME=/root/.pm2 pm2 start api']);
    expect(report.fix.notes.join('\n')).toContain('tail -n 100 -- /root/.pm2/logs/api-error.log /root/.pm2/logs/api-out.log');
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    // Still one daemon: nothing asked pm2 in a way that starts another.
    expect(
      stack.box
        .run(['ps', '-eo', 'args='])
        .split('\n')
        .filter((l) => l.includes('God Daemon')),
    ).toHaveLength(1);
  });

  it('backend-hung: the app under pm2 stopped with SIGSTOP; continued, applied and verified', async () => {
    const stack = await use(nodeUnderPm2({ proxyExtra: 'proxy_read_timeout 2s;' }));
    const pid = stack.box.run(['pgrep', '-f', '^node /srv/api/server.js']).trim();
    stack.box.run(['kill', '-STOP', '--', pid]);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-hung');
    expect(report.fix.commands).toEqual([`kill -CONT -- ${pid}`]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});
