import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagnose } from './lab/badgateway.js';
import { startBackendIn, waitForOutput } from './lab/in-netns.js';
import { NetnsHost } from './lab/netns-host.js';
import { firewall, link, type Netns } from './lab/netns.js';
import { startNginx, type Nginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { start } from './lab/processes.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { later, own, netns } = labScope();

/** Two hosts: the proxy (nginx and badgateway) and the backend host, joined by a veth on 10.250.N.0/24, no default route. */
function twoHosts(): { proxy: Netns; backend: Netns; proxyIp: string; backendIp: string } {
  const proxy = netns();
  const backend = netns();
  const { a, b } = link(proxy, backend);
  return { proxy, backend, proxyIp: a, backendIp: b };
}

async function nginxIn(ns: Netns, server: string): Promise<Nginx> {
  const started = await startNginx({ server, netns: ns });
  later(
    () => started.remove(),
    () => started.stop(),
  );
  return started;
}

/** badgateway --json and the real wizard, both run inside the proxy's namespace. */
async function both(ns: Netns, url: string) {
  const { report } = await diagnose(url, { wrap: ns.exec });
  const frame = await walkWizard(url, new NetnsHost(ns));
  return { report, frame };
}

const FULL_QUEUE = fileURLToPath(new URL('./lab/full-queue.py', import.meta.url));
const notes = (report: any): string => (report.fix.notes as string[]).join('\n');
const evidence = (report: any, node: string): string => JSON.stringify(report.diagnosis.evidence.filter((e: { node: string }) => e.node === node));

describe('the network between nginx and its backend, broken for real in namespaces', () => {
  it('connect-timeout: the backend host drops the connection (nftables DROP)', async () => {
    const { proxy, backend, backendIp } = twoHosts();
    own(await startBackendIn(backend, backendIp, 8080));
    firewall(backend, 'table inet lab {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 8080 drop\n }\n}\n');
    const site = await nginxIn(proxy, `location / { proxy_pass http://${backendIp}:8080; proxy_connect_timeout 1s; }`);
    const { report, frame } = await both(proxy, `http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('connect-timeout');
    expect(report.steps.map((s: { node: string }) => s.node).slice(-2)).toEqual(['error-log', 'connect-probe']);
    expect(report.steps.at(-1).outcome).toBe('timeout');
    expect(evidence(report, 'error-log')).toContain('upstream timed out (110');
    expect(evidence(report, 'connect-probe')).toContain(`proxy_connect_timeout 1s (${site.confFile}:`);
    expect(evidence(report, 'connect-probe')).toContain(`ip route get ${backendIp}`);
    expect(notes(report)).toContain('nft list ruleset');
    expect(notes(report)).toContain('tcp dport 8080 accept');
    expect(notes(report)).toContain('proxy_connect_timeout is 1s');
    expect(report.fix.commands).toEqual([]);
    expect(frame).toContain('Cause: connect-timeout');
  });

  it('no-route: the backend host rejects with icmp host-prohibited (113)', async () => {
    const { proxy, backend, backendIp } = twoHosts();
    own(await startBackendIn(backend, backendIp, 8080));
    firewall(backend, 'table inet lab {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 8080 reject with icmp type host-prohibited\n }\n}\n');
    const site = await nginxIn(proxy, `location / { proxy_pass http://${backendIp}:8080; proxy_connect_timeout 2s; }`);
    const { report, frame } = await both(proxy, `http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('no-route');
    expect(report.steps.map((s: { node: string }) => s.node).slice(-2)).toEqual(['error-log', 'route-probe']);
    expect(evidence(report, 'error-log')).toContain('113: No route to host');
    // The route and the neighbour are fine: the "no route" came back from the other side.
    expect(evidence(report, 'route-probe')).toContain('is on the local link');
    expect(evidence(report, 'route-probe')).toContain('REACHABLE');
    expect(notes(report)).toContain('icmp-host-prohibited');
    expect(notes(report)).toContain('nft list ruleset');
    expect(frame).toContain('Cause: no-route');
  });

  it('no-route: no route covers the backend address at all (101)', async () => {
    const { proxy } = twoHosts();
    const site = await nginxIn(proxy, 'location / { proxy_pass http://10.250.254.2:8080; proxy_connect_timeout 2s; }');
    const { report, frame } = await both(proxy, `http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('no-route');
    expect(evidence(report, 'error-log')).toContain('101: Network is unreachable');
    expect(evidence(report, 'route-probe')).toContain('RTNETLINK answers: Network is unreachable');
    expect(notes(report)).toContain('no usable route to 10.250.254.2');
    expect(frame).toContain('Cause: no-route');
  });

  it("connect-timeout: the backend's TCP accept queue is full, so the kernel drops new connections (overload)", async () => {
    const port = await freePort();
    const filler = own(start('python3', [FULL_QUEUE, 'tcp', '127.0.0.1', String(port)]));
    await waitForOutput(filler, 'ready', 'the full-queue listener');
    const site = await startNginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; proxy_connect_timeout 1s; }` });
    later(
      () => site.remove(),
      () => site.stop(),
    );
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('connect-timeout');
    expect(report.steps.at(-1)).toMatchObject({ node: 'connect-probe', outcome: 'queue-full' });
    expect(evidence(report, 'connect-probe')).toContain(`127.0.0.1:${port}: 2 connection(s) waiting to be accepted, queue size 1 (full`);
    expect(notes(report)).toContain('listen.backlog');
    expect(await walkWizard(url)).toContain('Cause: connect-timeout · The backend cannot accept connections fast enough');
  });

  it("backlog-full: the backend's unix socket queue is full (11: EAGAIN): an overload, escalated", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-queue-'));
    chmodSync(dir, 0o755);
    later(() => rmSync(dir, { recursive: true, force: true }));
    const socket = join(dir, 'app.sock');
    const filler = own(start('python3', [FULL_QUEUE, 'unix', socket]));
    await waitForOutput(filler, 'ready', 'the full-queue socket');
    const site = await startNginx({ server: `location / { proxy_pass http://unix:${socket}; }` });
    later(
      () => site.remove(),
      () => site.stop(),
    );
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    // A plain python3 backend: no gunicorn command line or uwsgi ini to raise its workers in, so it escalates.
    expect(report.steps.map((s: { node: string; outcome: string }) => `${s.node} ${s.outcome}`).slice(-5)).toEqual([
      'backlog-where unix',
      'socket-queue full',
      expect.stringMatching(/^full-config /),
      expect.stringMatching(/^full-service /),
      'full-settings none',
    ]);
    expect(evidence(report, 'error-log')).toContain('11: Resource temporarily unavailable');
    expect(report.diagnosis.title).toBe("The backend's connection queue is full");
    expect(report.diagnosis.explanation).toContain('(full: new connections are refused)');
    expect(report.diagnosis.explanation).toContain('pm.max_children');
    // No timeout is involved, so this is not connect-timeout: every worker is busy and the queue overflows.
    expect(report.diagnosis.cause).toBe('backend-saturated');
    expect(await walkWizard(url)).toContain("Cause: backend-saturated · The backend's connection queue is full");
  });
});
