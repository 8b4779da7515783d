import { describe, expect, it } from 'vitest';
import { startTcpBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { nginx, own } = labScope();

describe('a 502 nginx only passed on', () => {
  it('upstream-returned-502: the backend answers 502 itself and nginx logs nothing', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'status502' }));
    const site = await nginx({ server: `location /api/ { proxy_pass http://127.0.0.1:${port}/v1/; proxy_set_header Host $host; }` });
    const url = `http://127.0.0.1:${site.port}/api/orders`;
    const { report, code } = await diagnose(url);
    expect(code).toBe(1);
    expect(report.diagnosis.cause).toBe('upstream-returned-502');
    expect(report.steps.map((s: { node: string; outcome: string }) => `${s.node}:${s.outcome}`).slice(-2)).toEqual(['error-log:silent-failure', 'backend-direct:backend-502']);
    // Asked as nginx asks: the path proxy_pass rewrites to, and the Host proxy_set_header sends.
    const direct = report.diagnosis.evidence.find((e: { node: string }) => e.node === 'backend-direct');
    expect(direct.command).toContain(`--url http://127.0.0.1:${port}/v1/orders`);
    expect(direct.command).toContain('Host: 127.0.0.1');
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.notes.join('\n')).toContain('proxy_intercept_errors');
    expect(await walkWizard(url)).toContain('Cause: upstream-returned-502');
  });

  it('not this: a return 502 before the proxy_pass is nginx answering itself, named with its file:line', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port));
    // A return rule answers 502 before the request reaches proxy_pass, so nginx logs no upstream error.
    const site = await nginx({ server: `location /x/ { return 502; proxy_pass http://127.0.0.1:${port}; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/x/y`);
    expect(report.diagnosis.cause).toBe('unknown');
    expect(report.steps.at(-1)).toMatchObject({ node: 'route', outcome: 'not-proxied' });
    expect(report.diagnosis.title).toBe('This URL is not sent to a backend');
    expect(JSON.stringify(report)).toContain(`nginx answers 502 itself (${site.confFile}:`);
  });
});
