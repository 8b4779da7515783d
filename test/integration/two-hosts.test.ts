import { describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import { startBackendIn } from './lab/in-netns.js';
import { firewall, link, type Netns } from './lab/netns.js';
import { labScope } from './lab/scope.js';
import { sshClient, type SshClient } from './lab/ssh-client.js';
import { startSshd } from './lab/sshd.js';

const lab = labScope();
const PORT = 8080;

interface TwoHosts {
  web: Netns;
  app: Netns;
  /** The app box's address on the veth: what nginx dials. */
  appIp: string;
  client: SshClient;
  /** Labels the report uses for each host. */
  proxyLabel: string;
  appLabel: string;
}

/**
 * Two boxes in namespaces made here: web (nginx + sshd on its 127.0.0.1) and app (sshd on its
 * 10.250.N.2), one veth between them, no default route. One client key logs in to both.
 */
async function twoHosts(): Promise<TwoHosts> {
  const web = lab.netns();
  const app = lab.netns();
  const { b: appIp } = link(web, app);
  const client = sshClient();
  lab.later(() => client.remove());
  for (const [ns, address] of [
    [web, '127.0.0.1'],
    [app, appIp],
  ] as const) {
    const sshd = await startSshd({ netns: ns, address });
    lab.later(
      () => sshd.remove(),
      () => sshd.stop(),
    );
    sshd.authorize('root', client.key.publicKey);
    client.trust(sshd);
  }
  return { web, app, appIp, client, proxyLabel: 'root@127.0.0.1', appLabel: `root@${appIp}` };
}

/** badgateway --json inside web's namespace, reaching both boxes over SSH. */
async function diagnoseBoth(lab2: TwoHosts, location: string) {
  const site = await lab.nginx({ netns: lab2.web, server: `location / { ${location} }` });
  const run = await runCli(['--json', '--url', `http://127.0.0.1:${site.port}/`, '--host', `proxy=${lab2.proxyLabel}`, '--host', `app=${lab2.appLabel}`], {
    env: lab2.client.env,
    wrap: lab2.web.exec,
    timeoutMs: 60_000,
  });
  try {
    return { ...run, report: JSON.parse(run.stdout), site };
  } catch {
    throw new Error(`badgateway --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

type Item = { node: string; command?: string; probe?: string; lines: string[]; note?: string };
const from = (report: any, label: string, node: string): Item[] => (report.evidenceByHost[label] ?? []).filter((e: Item) => e.node === node);
const step = (report: any, node: string) => report.steps.find((s: { node: string }) => s.node === node);
const hostsOf = (s: { host: string }) => s.host.split(', ');

describe('nginx on web, its backend on app: each box shows its own view', () => {
  it('backend-down: nothing runs on app; app itself shows no listener at the port', async () => {
    const hosts = await twoHosts();
    const { code, report } = await diagnoseBoth(hosts, `proxy_pass http://${hosts.appIp}:${PORT};`);
    expect([code, report.error, report.diagnosis.cause]).toEqual([1, null, 'backend-down']);
    // The deciding step ran on both boxes: the connect from web, the listeners on app.
    expect(hostsOf(step(report, 'backend-listening'))).toEqual([hosts.proxyLabel, hosts.appLabel]);
    expect(from(report, hosts.proxyLabel, 'backend-listening').map((e) => e.probe)).toEqual([`connect to ${hosts.appIp}:${PORT}`]);
    const ss = from(report, hosts.appLabel, 'backend-listening').find((e) => e.command === 'ss -Hltnxp');
    expect(ss?.lines).toEqual([`${hosts.appIp}:22 sshd pid ${ss?.lines[0]?.split(' pid ')[1]}`]);
    // How the backend is started is asked on app, and the fix says where to run it.
    expect(step(report, 'backend-down-service').host).toBe(hosts.appLabel);
    expect(report.fix.notes[0]).toBe(`Run these on ${hosts.appLabel}, the backend's own box, not on nginx's.`);
  });

  it("bind-address-mismatch: the backend listens on app's own 127.0.0.1 only", async () => {
    const hosts = await twoHosts();
    lab.own(await startBackendIn(hosts.app, '127.0.0.1', PORT));
    const { code, report } = await diagnoseBoth(hosts, `proxy_pass http://${hosts.appIp}:${PORT};`);
    expect([code, report.error, report.diagnosis.cause]).toEqual([1, null, 'bind-address-mismatch']);
    expect(report.steps.at(-1).node).toBe('backend-listening');
    expect(hostsOf(report.steps.at(-1))).toContain(hosts.appLabel);
    const ss = from(report, hosts.appLabel, 'backend-listening').find((e) => e.command === 'ss -Hltnxp');
    expect(ss?.lines.some((l) => l.startsWith(`127.0.0.1:${PORT} python3 pid `))).toBe(true);
    // web's own ss never stood in for app's.
    expect(from(report, hosts.proxyLabel, 'backend-listening').some((e) => e.command === 'ss -Hltnxp')).toBe(false);
    // Pointing nginx at 127.0.0.1 would reach web itself: the fix is on app.
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.notes.join('\n')).toContain(`Make the backend listen on ${hosts.appIp}:${PORT}`);
  });

  it("connect-timeout: app's firewall drops the port; app's own ruleset names the rule", async () => {
    const hosts = await twoHosts();
    lab.own(await startBackendIn(hosts.app, hosts.appIp, PORT));
    firewall(hosts.app, `table inet lab {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport ${PORT} drop\n }\n}\n`);
    const { code, report } = await diagnoseBoth(hosts, `proxy_pass http://${hosts.appIp}:${PORT}; proxy_connect_timeout 1s;`);
    expect([code, report.error, report.diagnosis.cause]).toEqual([1, null, 'connect-timeout']);
    const probe = step(report, 'connect-probe');
    expect([probe.outcome, hostsOf(probe)]).toEqual(['timeout', [hosts.proxyLabel, hosts.appLabel]]);
    const appNft = from(report, hosts.appLabel, 'connect-probe').find((e) => e.command === 'nft list ruleset');
    expect(appNft?.lines.join('\n')).toContain(`tcp dport ${PORT} drop`);
    const webNft = from(report, hosts.proxyLabel, 'connect-probe').find((e) => e.command === 'nft list ruleset');
    expect(webNft?.lines).toEqual([`no rule of this box's firewall names ${hosts.appIp} or port ${PORT}`]);
    expect(report.fix.notes.join('\n')).toContain(`The backend's own box has these rules for it (nft list ruleset there): `);
  });

  it('nginx dials an address no host of the session owns: the proxy view goes on, saying what was not examined', async () => {
    const hosts = await twoHosts();
    // A third box on its own link from web: not in the session.
    const other = lab.netns();
    const { b: otherIp } = link(hosts.web, other);
    const { code, report } = await diagnoseBoth(hosts, `proxy_pass http://${otherIp}:${PORT};`);
    expect([code, report.error, report.diagnosis.cause]).toEqual([1, null, 'backend-down']);
    expect(report.evidenceByHost[hosts.appLabel]).toBeUndefined();
    const said = JSON.stringify(from(report, hosts.proxyLabel, 'backend-listening'));
    expect(said).toContain(`the backend's box (the one that owns ${otherIp}:${PORT}) was not examined`);
    expect(said).not.toContain('ss -Hltnxp');
    expect(step(report, 'backend-listening').summary).toContain('its box was not examined');
    expect(JSON.stringify(from(report, hosts.proxyLabel, 'backend-down-service'))).toContain('was not examined');
  });
});
