import { describe, expect, it } from 'vitest';
import { startTcpBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { nginx, own } = labScope();

describe('the backend listens on another address than nginx dials (bind-address-mismatch)', () => {
  it('the backend listens on ::1 only, nginx dials 127.0.0.1', async () => {
    const port = await freePort('::1');
    own(await startTcpBackend('::1', port));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('bind-address-mismatch');
    expect(report.steps.at(-1)).toMatchObject({ node: 'backend-listening', outcome: 'other-address' });
    expect(report.diagnosis.explanation).toContain(`[::1]:${port}`);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `proxy_pass http://127.0.0.1:${port};`, after: `proxy_pass http://[::1]:${port};` })]);
    expect(report.fix.commands.at(-1)).toContain('-s reload');
    expect(await walkWizard(url)).toContain('Cause: bind-address-mismatch');
  });

  it('the backend listens on 127.0.0.2, nginx dials 127.0.0.1 through an upstream block', async () => {
    const port = await freePort('127.0.0.2');
    own(await startTcpBackend('127.0.0.2', port));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${port} max_fails=0; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('bind-address-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `server 127.0.0.1:${port} max_fails=0;`, after: `server 127.0.0.2:${port} max_fails=0;` })]);
    expect(await walkWizard(url)).toContain('Cause: bind-address-mismatch');
  });
});
