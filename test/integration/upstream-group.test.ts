import { describe, expect, it } from 'vitest';
import { startTcpBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { later, nginx } = labScope();

/** One request that fails on every server, so nginx marks each failed and answers "no live upstreams" for fail_timeout. */
async function failEveryServer(url: string): Promise<void> {
  const answer = await fetch(url, { signal: AbortSignal.timeout(5000) });
  expect(answer.status).toBe(502);
}

const serversOf = (report: any): string => JSON.stringify(report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'upstream-group'));

describe('an upstream group with every server marked failed: "no live upstreams"', () => {
  it('no-live-upstreams: both servers are down', async () => {
    const [one, two] = [await freePort(), await freePort()];
    const site = await nginx({
      http: `upstream pool { server 127.0.0.1:${one} fail_timeout=30s; server 127.0.0.1:${two} max_fails=1 fail_timeout=30s; }`,
      server: 'location / { proxy_pass http://pool; }',
    });
    const url = `http://127.0.0.1:${site.port}/`;
    await failEveryServer(url);
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('no-live-upstreams');
    expect(report.steps.at(-1)).toMatchObject({ node: 'upstream-group', outcome: 'servers-failing' });
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('no live upstreams');
    // Why each was marked failed: nginx's own earlier line for it, and what a probe finds now.
    expect(serversOf(report)).toContain(`server 127.0.0.1:${one}`);
    expect(serversOf(report)).toContain('max_fails=1 fail_timeout=30s: refused now; nginx last logged: ');
    expect(serversOf(report)).toContain('111: Connection refused');
    const notes = (report.fix.notes as string[]).join('\n');
    expect(notes).toContain(`Bring 127.0.0.1:${one} back: it is refused now`);
    expect(notes).toContain(`Bring 127.0.0.1:${two} back`);
    expect(notes).toContain('backup');
    expect(await walkWizard(url)).toContain('Cause: no-live-upstreams');
  });

  it('no-live-upstreams: the servers are back, but nginx still leaves them out for fail_timeout', async () => {
    const [one, two] = [await freePort(), await freePort()];
    const site = await nginx({ http: `upstream pool { server 127.0.0.1:${one} fail_timeout=60s; server 127.0.0.1:${two} fail_timeout=60s; }`, server: 'location / { proxy_pass http://pool; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    await failEveryServer(url);
    for (const port of [one, two]) {
      const backend = await startTcpBackend('127.0.0.1', port);
      later(() => backend.stop());
    }
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('no-live-upstreams');
    expect(report.steps.at(-1)).toMatchObject({ node: 'upstream-group', outcome: 'servers-accept' });
    expect(serversOf(report)).toContain('fail_timeout=60s: open now');
    expect(report.diagnosis.title).toBe('Make the group survive a short outage');
    expect((report.fix.notes as string[]).join('\n')).toContain('max_fails=3');
    expect(await walkWizard(url)).toContain('Cause: no-live-upstreams');
  });
});
