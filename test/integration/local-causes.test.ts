import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTcpBackend, startUnixBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { nginx, own, scratchDir } = labScope();

describe('a real nginx broken for real, diagnosed with badgateway --json', () => {
  it('backend-down: nothing listens where nginx dials', async () => {
    const port = await freePort();
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const { report, code } = await diagnose(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('backend-down');
    expect(code).toBe(1);
    expect(report.steps.map((s: { node: string }) => s.node)).toEqual([
      'find-nginx',
      'read-config',
      'failing-request',
      'route',
      'error-log',
      'refused-where',
      'backend-listening',
      'tcp-backend-config',
      'backend-down-service',
      'down-crash',
    ]);
    // The error log lives where only the config says: the deciding line came from there.
    const logEvidence = report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'error-log');
    expect(JSON.stringify(logEvidence)).toContain('111: Connection refused');
    expect(JSON.stringify(logEvidence)).toContain(site.errorLog);
    // The same path through the wizard ends on the same fix screen.
    expect(await walkWizard(`http://127.0.0.1:${site.port}/`)).toContain('Cause: backend-down');
  });

  it('wrong-port: the backend answers on another port', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('wrong-port');
    expect(report.fix.edits).toHaveLength(1);
    expect(report.fix.edits[0]).toMatchObject({ file: site.confFile, before: `server 127.0.0.1:${dialled};`, after: `server 127.0.0.1:${actual};` });
    expect(report.fix.commands.at(-1)).toContain('-s reload');
    expect(await walkWizard(`http://127.0.0.1:${site.port}/`)).toContain('Cause: wrong-port');
  });

  it('socket-missing: nginx dials a unix socket that does not exist', async () => {
    const dir = scratchDir();
    const socket = join(dir, 'app.sock');
    const site = await nginx({ server: `location / { proxy_pass http://unix:${socket}; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('socket-missing');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('No such file or directory');
  });

  it('socket-permission: the socket exists but the worker user may not open it', async () => {
    const dir = scratchDir();
    const socket = join(dir, 'app.sock');
    own(await startUnixBackend(socket, '600'));
    const site = await nginx({ user: 'nobody nogroup', server: `location / { proxy_pass http://unix:${socket}; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('socket-permission');
    expect(report.diagnosis.explanation).toContain('nobody');
    expect(report.fix.commands.join('\n')).toContain(socket);
  });

  it('read-timeout: the backend is slower than proxy_read_timeout', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3 }));
    const site = await nginx({ server: `location /slow/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/slow/report`);
    expect(report.diagnosis.cause).toBe('read-timeout');
    expect(report.fix.edits[0]).toMatchObject({ file: site.confFile, before: 'proxy_read_timeout 1s;' });
    expect(report.fix.edits[0].after).toMatch(/^proxy_read_timeout \d+s;$/);
    expect(report.fix.caution).toMatch(/hides a slow backend/);
  });
});
