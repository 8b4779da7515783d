import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnose } from './lab/badgateway.js';
import { startBackendIn } from './lab/in-netns.js';
import { NetnsHost } from './lab/netns-host.js';
import { createNetns, type Netns } from './lab/netns.js';
import { startNginx, type Nginx } from './lab/nginx.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { later } = labScope();

/**
 * A box of its own: app.internal is in its /etc/hosts, and its resolv.conf names 127.0.0.1, where no DNS
 * server runs, so no lookup ever leaves the namespace.
 */
function box(): Netns {
  const ns = createNetns({ hosts: '127.0.0.1 localhost\n127.0.0.1 app.internal\n' });
  later(() => ns.remove());
  writeFileSync(`/etc/netns/${ns.name}/resolv.conf`, 'nameserver 127.0.0.1\n');
  return ns;
}

async function nginxIn(ns: Netns, server: string): Promise<Nginx> {
  const started = await startNginx({ server, netns: ns });
  later(
    () => started.remove(),
    () => started.stop(),
  );
  return started;
}

const lookup = (report: any): string => JSON.stringify(report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'dns-lookup'));

describe('nginx resolving a backend name at request time, broken for real in a namespace', () => {
  it('dns: a name in a variable and no resolver directive (the name is only in /etc/hosts)', async () => {
    const ns = box();
    const backend = await startBackendIn(ns, '127.0.0.1', 8080);
    later(() => backend.stop());
    const site = await nginxIn(ns, 'location / { set $app app.internal; proxy_pass http://$app:8080; }');
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url, { wrap: ns.exec });
    expect(report.diagnosis.cause).toBe('no-resolver');
    expect(report.steps.at(-1)).toMatchObject({ node: 'dns-lookup', outcome: 'no-resolver' });
    expect(report.diagnosis.title).toBe('nginx has no resolver for a name it resolves at request time');
    expect(report.diagnosis.explanation).toContain('resolver 127.0.0.1 valid=30s;');
    expect(lookup(report)).toContain('app.internal resolves here to 127.0.0.1');
    expect(lookup(report)).toContain("which nginx's resolver never reads");
    const frame = await walkWizard(url, new NetnsHost(ns));
    expect(frame).toContain('Cause: no-resolver · nginx has no resolver');
  });

  it('dns: the resolver nginx was given does not answer', async () => {
    const ns = box();
    const site = await nginxIn(ns, 'resolver 127.0.0.1:5353 valid=10s; resolver_timeout 1s; location / { set $app app.internal; proxy_pass http://$app:8080; }');
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url, { wrap: ns.exec });
    expect(report.diagnosis.cause).toBe('no-resolver');
    expect(report.steps.at(-1)).toMatchObject({ node: 'dns-lookup', outcome: 'resolver-failed' });
    expect(report.diagnosis.title).toBe("nginx's resolver does not answer");
    expect(lookup(report)).toContain('127.0.0.1:5353 valid=10s');
    expect(await walkWizard(url, new NetnsHost(ns))).toContain("Cause: no-resolver · nginx's resolver does not answer");
  });
});
