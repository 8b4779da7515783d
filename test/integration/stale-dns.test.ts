import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagnose } from './lab/badgateway.js';
import { createNetns, type Netns } from './lab/netns.js';
import { NetnsHost } from './lab/netns-host.js';
import { freePort } from './lab/ports.js';
import { start, type Started } from './lab/processes.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const BACKEND = fileURLToPath(new URL('./lab/backend.py', import.meta.url));

const { later, nginx } = labScope();

function netns(hosts: string): Netns {
  const ns = createNetns({ hosts });
  later(() => ns.remove());
  return ns;
}

/** A python backend inside the namespace, waited for from inside it (bounded). */
async function backendIn(ns: Netns, host: string, port: number): Promise<Started> {
  const argv = ns.exec(['python3', BACKEND, 'tcp', host, String(port), 'ok']);
  const backend = start(argv[0] as string, argv.slice(1));
  later(() => backend.stop());
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      ns.run(['bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', host, String(port)]);
      return backend;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`the backend did not listen on ${host}:${port} in the namespace`);
}

const hostsFile = (ns: Netns) => `/etc/netns/${ns.name}/hosts`;

describe('nginx resolved the upstream name at load; the name moved since (stale-dns)', () => {
  it('app.test was 127.0.0.2 when nginx started and is 127.0.0.3 now, where the backend listens', async () => {
    const ns = netns('127.0.0.1 localhost\n127.0.0.2 app.test\n');
    const port = await freePort();
    const site = await nginx({ netns: ns, server: `location / { proxy_pass http://app.test:${port}; }` });
    // The name moves (the same file rewritten in place: `ip netns exec` bind-mounts it over /etc/hosts).
    writeFileSync(hostsFile(ns), '127.0.0.1 localhost\n127.0.0.3 app.test\n');
    await backendIn(ns, '127.0.0.3', port);
    const url = `http://127.0.0.1:${site.port}/`;

    const { report } = await diagnose(url, { wrap: ns.exec });
    expect(report.error).toBeNull();
    expect(report.diagnosis.cause).toBe('stale-dns');
    expect(report.steps.slice(-2)).toEqual([expect.objectContaining({ node: 'backend-listening', outcome: 'accepts' }), expect.objectContaining({ node: 'upstream-dns', outcome: 'changed' })]);
    const dnsEvidence = JSON.stringify(report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'upstream-dns'));
    expect(dnsEvidence).toContain('getent ahosts -- app.test');
    expect(dnsEvidence).toContain('app.test is 127.0.0.3 now');
    expect(dnsEvidence).toContain('nginx dialled 127.0.0.2');
    expect(report.diagnosis.explanation).toContain('127.0.0.2');
    expect(report.diagnosis.explanation).toContain('127.0.0.3');
    // The fix is a reload (nginx resolves the name again), tested first; the durable options are explained.
    expect(report.fix.commands).toHaveLength(2);
    expect(report.fix.commands[0]).toMatch(new RegExp(`^nginx -c ${site.confFile} .* -t$`));
    expect(report.fix.commands[1]).toMatch(new RegExp(`^nginx -c ${site.confFile} .* -s reload$`));
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.notes.join('\n')).toMatch(/resolver/);
    expect(report.fix.notes.join('\n')).toContain('1.27.3');
    expect(await walkWizard(url, new NetnsHost(ns))).toContain('Cause: stale-dns');
  });

  it('not stale: the name still points where nginx dialled, and nothing listens there (backend-down)', async () => {
    const ns = netns('127.0.0.1 localhost\n127.0.0.2 app.test\n');
    const port = await freePort();
    const site = await nginx({ netns: ns, server: `location / { proxy_pass http://app.test:${port}; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/`, { wrap: ns.exec });
    expect(report.diagnosis.cause).toBe('backend-down');
    expect(report.steps.map((s: { node: string }) => s.node)).not.toContain('upstream-dns');
  });
});
