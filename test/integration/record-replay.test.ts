import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSession } from '../../src/engine/session.js';
import { loadFlowFile } from '../../src/flow/loader.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { LocalHost } from '../../src/hosts/local.js';
import { ReplayHost } from '../../src/hosts/replay-host.js';
import { connectSsh } from '../../src/hosts/ssh/index.js';
import { Recorder } from '../../src/record/recorder.js';
import { parseRecording, type Recording } from '../../src/record/recording.js';
import { describeHosts } from '../../src/drive/connect.js';
import { walkToEnd } from '../../src/drive/driver.js';
import { defaultFlowFile } from '../../src/flow-files/locate.js';
import { requestFacts } from '../../src/facts/request.js';
import { startTcpBackend } from './lab/backend.js';
import { runCli } from './lab/badgateway.js';
import { newLab, scenario } from './lab/incidents.js';
import { link, type Netns } from './lab/netns.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';
import { sshClient, type SshClient } from './lab/ssh-client.js';
import { startSshd } from './lab/sshd.js';
import { ensureUser, sudoersDropIn } from './lab/users.js';
import { walkWizard } from './lab/wizard.js';
import { isConfigRead } from '../../src/system/config-read.js';
import { isNginxProbe } from '../../src/system/nginx-probe.js';

/** nginx -T, or the reader that prints what it would (src/system/config-read.ts), alone or in the login probe. */
const readsConfig = (argv: readonly string[]): boolean => argv.includes('-T') || isConfigRead(argv) || isNginxProbe(argv);

const lab = labScope();
const FLOW = loadFlowFile(defaultFlowFile());

function scratch(): string {
  return lab.scratchDir('bgw-rec-');
}

async function json(args: string[], options: Parameters<typeof runCli>[1] = {}) {
  const run = await runCli(['--json', ...args], options);
  try {
    return { ...run, report: JSON.parse(run.stdout) };
  } catch {
    throw new Error(`badgateway --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

const readRecording = (file: string): Recording => parseRecording(readFileSync(file, 'utf8'), file);
/** What a replay must reproduce: the path with what each step found, the evidence, the fix. */
const essence = (report: any) => ({
  cause: report.diagnosis.cause,
  title: report.diagnosis.title,
  explanation: report.diagnosis.explanation,
  steps: report.steps.map(({ ms: _ms, ...step }: { ms: number }) => step),
  evidence: report.diagnosis.evidence,
  fix: report.fix,
  hosts: report.hosts.map((h: { role: string; label: string }) => [h.role, h.label]),
  exitCode: report.exitCode,
});

/** A client that may log in as root to an sshd on this box's loopback. */
async function loopbackSsh(client: SshClient, netns?: Netns, address = '127.0.0.1') {
  const sshd = await startSshd({ address, ...(netns ? { netns } : {}) });
  lab.later(
    () => sshd.remove(),
    () => sshd.stop(),
  );
  sshd.authorize('root', client.key.publicKey);
  client.trust(sshd);
  return sshd;
}

function client(): SshClient {
  const made = sshClient();
  lab.later(() => made.remove());
  return made;
}

describe('--record and --replay on a real broken nginx', () => {
  it('a fresh recording replays to the same diagnosis as the live run, with --json and in the wizard', async () => {
    const setup = newLab();
    lab.later(() => setup.cleanup());
    const broken = await scenario('hardened-app').setup(setup);
    const file = join(scratch(), 'session.json');
    const live = await json(['--url', broken.url, '--record', file]);
    expect(live.report.diagnosis.cause).toBe('socket-permission');

    const recording = readRecording(file);
    expect(recording.hosts).toEqual([{ role: 'proxy', label: 'local' }]);
    expect(recording.inputs.url).toBe(broken.url);
    expect(recording.trail.map((s) => `${s.node}:${s.outcome}`)).toEqual(live.report.steps.map((s: any) => `${s.node}:${s.outcome}`));
    expect(recording.diagnosis).toMatchObject({ cause: 'socket-permission', node: 'fix-socket-permission' });
    // Every command with its output, exit code and time.
    const nginxT = recording.commands.proxy?.find((c) => readsConfig(c.argv));
    expect(nginxT).toMatchObject({ code: 0, stdout: expect.stringContaining('# configuration file') });
    expect(nginxT?.ms).toBeGreaterThanOrEqual(0);

    // The box is gone: the replay needs none of it.
    await setup.cleanup();
    const replayed = await json(['--replay', file]);
    expect(essence(replayed.report)).toEqual(essence(live.report));
    expect(replayed.code).toBe(live.code);
    expect(replayed.report.hosts[0]).toMatchObject({ role: 'proxy', label: 'local', replayed: true });

    // The real wizard over the recording reaches the same fix screen.
    const frame = await walkWizard(broken.url, new ReplayHost('local', recording.commands.proxy ?? []));
    expect(frame).toContain('Cause: socket-permission');
  });

  it('a command the recording lacks fails as not-recorded, and the step says it could not run', async () => {
    const setup = newLab();
    lab.later(() => setup.cleanup());
    const broken = await scenario('orders-api').setup(setup);
    const file = join(scratch(), 'session.json');
    await json(['--url', broken.url, '--record', file]);
    const recording = readRecording(file);
    // The error-log step's one command (stat, tail, replay, what nginx appended) goes missing.
    const readsTheLog = (argv: string[]) => argv[0] === 'sh' && argv[3] === 'badgateway-error-log';
    const trimmed = { ...recording, commands: { proxy: (recording.commands.proxy ?? []).filter((c) => !readsTheLog(c.argv)) } };
    const damaged = join(scratch(), 'no-tail.json');
    await import('node:fs').then((fs) => fs.writeFileSync(damaged, JSON.stringify(trimmed)));
    const { report } = await json(['--replay', damaged]);
    // Without its log the step cannot read what nginx said, and says why; the flow goes on blind.
    expect(report.steps.find((s: any) => s.node === 'error-log').outcome).toBe('unreadable');
    const said = report.diagnosis.evidence.filter((e: any) => e.node === 'error-log').flatMap((e: any) => e.lines);
    expect(said).toContain('badgateway replay: local has no recorded result for this command');
  });

  it('refuses a file that is not a recording (exit 2), and --replay with a box', async () => {
    const bad = join(scratch(), 'bad.json');
    await import('node:fs').then((fs) => fs.writeFileSync(bad, '{"hello": 1}'));
    const run = await runCli(['--json', '--replay', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a badgateway recording');
    expect((await runCli(['--json', '--replay', bad, '--ssh', 'root@web1'])).stderr).toContain('takes no --ssh or --host');
  });
});

describe('secrets never reach a recording', () => {
  it('a real nginx -T with Authorization and X-Api-Key headers: the values go, the replay still finds the cause', async () => {
    const port = await freePort();
    const site = await lab.nginx({
      server: `location /api/ { proxy_pass http://127.0.0.1:${port}; proxy_set_header Authorization "Bearer eyJ0eXAiOiJKV1QifQ.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl"; proxy_set_header X-Api-Key k3y-0f-the-lab; proxy_set_header Cookie $http_cookie; }`,
    });
    const file = join(scratch(), 'session.json');
    const live = await json(['--url', `http://u:url-pass-123@127.0.0.1:${site.port}/api/orders`, '--record', file]);
    const text = readFileSync(file, 'utf8');
    for (const secret of ['c2VjcmV0LXBheWxvYWQ', 'k3y-0f-the-lab', 'url-pass-123']) expect(text).not.toContain(secret);
    const recording = parseRecording(text);
    expect(recording.redactions.headers).toBeGreaterThanOrEqual(2);
    expect(recording.redactions.urlPasswords).toBeGreaterThanOrEqual(1);
    expect(text).toContain('proxy_set_header Authorization \\"[redacted]\\";');
    expect(text).toContain('proxy_set_header Cookie $http_cookie;');
    expect(recording.inputs.url).toBe(`http://u:[redacted]@127.0.0.1:${site.port}/api/orders`);
    const replayed = await json(['--replay', file]);
    expect(replayed.report.diagnosis.cause).toBe(live.report.diagnosis.cause);
    expect(replayed.report.steps.map((s: any) => s.outcome)).toEqual(live.report.steps.map((s: any) => s.outcome));
  });

  it('a real curl -D of a backend setting cookies, recorded through the RecordingHost: no cookie value is kept', async () => {
    const port = await freePort();
    lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'bigheader', bytes: 2048 }));
    const recorder = new Recorder('test');
    const hosts = recorder.wrap(singleHost(new LocalHost()));
    const run = await hosts.proxy.run({ argv: ['curl', '-sS', '-D', '-', '-o', '/dev/null', `http://127.0.0.1:${port}/`] });
    const cookie = /Set-Cookie: (c0=x+)/.exec(run.stdout)?.[1];
    expect(cookie).toBeDefined();
    const recording = recorder.finish(startSession(FLOW), { hosts: describeHosts(hosts) });
    const kept = JSON.stringify(recording);
    expect(kept).not.toContain(cookie as string);
    expect(recording.commands.proxy?.[0]?.stdout).toContain('Set-Cookie: [redacted]');
    expect(recording.commands.proxy?.[0]?.stdout).toContain('Content-Type: text/plain');
  });

  it('a sudo password typed for an SSH host never reaches a Host command, so no recording holds it', async () => {
    const USER = 'bgw-rec';
    const PASSWORD = 'Bgw-Rec-Pass-7';
    ensureUser(USER, PASSWORD);
    lab.later(sudoersDropIn('bgw-record-test', `${USER} ALL=(ALL) ALL`));
    const who = client();
    const sshd = await loopbackSsh(who);
    sshd.authorize(USER, who.key.publicKey);
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });

    const recorder = new Recorder('test');
    // The person types the password when asked, as in the wizard.
    const asker = recorder.asker({ choose: async () => '', secret: async () => PASSWORD, tell: () => {} });
    const host = await connectSsh({ target: `${USER}@127.0.0.1:${sshd.port}`, files: { home: who.home, systemConfig: null, globalKnownHosts: [] }, env: {} });
    lab.later(() => host.close());
    expect(host.needsSudoPassword).toBe(true);
    expect(await host.useSudoPassword((await asker.secret('sudo password?')) as string)).toEqual({ ok: true });
    const hosts = recorder.wrap(singleHost(host));
    const session = await walkToEnd(startSession(FLOW, requestFacts(`http://127.0.0.1:${site.port}/`)), hosts);
    expect(session.trail.at(-1)?.next).toBe('fix-backend-down');

    const recording = recorder.finish(session, { hosts: describeHosts(hosts) });
    const commands = recording.commands.proxy ?? [];
    expect(commands.length).toBeGreaterThan(10);
    // Nothing typed was ever in a command, its input or its output: nothing had to be scrubbed.
    expect(recording.redactions.typedSecrets).toBe(0);
    expect(JSON.stringify(recording)).not.toContain(PASSWORD);
    expect(recording.prompts).toEqual([{ kind: 'secret', question: 'sudo password?', answer: '(given, not recorded)' }]);
    expect(recording.hosts[0]).toMatchObject({ role: 'proxy', label: `${USER}@127.0.0.1:${sshd.port}`, runsAs: expect.stringContaining('sudo') });
    // The commands really ran as root through sudo: nginx -T needed it.
    expect(commands.find((c) => readsConfig(c.argv))?.code).toBe(0);
  });
});

describe('--report: a Markdown report from a recording, for a ticket', () => {
  it('a local session: the question, each step with its evidence and branch, the fix and the marked place for the result', async () => {
    const setup = newLab();
    lab.later(() => setup.cleanup());
    const broken = await scenario('report-export').setup(setup);
    const dir = scratch();
    const live = await json(['--url', broken.url, '--record', join(dir, 's.json'), '--report', join(dir, 'live.md')]);
    expect(live.report.diagnosis.cause).toBe('read-timeout');
    await setup.cleanup();
    await json(['--replay', join(dir, 's.json'), '--report', join(dir, 'replay.md')]);
    const md = readFileSync(join(dir, 'replay.md'), 'utf8');
    expect(md).toMatch(/^# badgateway: Give the backend the time it needs\n/);
    expect(md).toContain(`- **Request:** \`GET ${broken.url}\``);
    expect(md).toContain('- **Cause:** `read-timeout`');
    expect(md).toContain('- **Hosts:** proxy `local`');
    expect(md).toContain('upstream timed out (110: Connection timed out) while reading response header from upstream');
    expect(md).toContain('**Branch:** `read-timeout` → `backend-timing` (How long does the backend take?).');
    expect(md).toMatch(/```diff\n--- .*nginx\.conf\n\+\+\+ .*nginx\.conf\n@@ line \d+ @@\n-proxy_read_timeout 1s;\n\+proxy_read_timeout \d+s;\n```/);
    expect(md).toContain('> **Caution:** A longer timeout hides a slow backend');
    expect(md).toContain('> **Not applied by badgateway.**');
    expect(md).toContain('| proxy | `local` | replayed from a recording |');
    // The live report and the replay's differ only in timings and in saying it was replayed.
    const strip = (text: string) => text.replace(/\d+(\.\d)? (ms|s) · /g, '').replace(/\| (this machine|replayed from a recording) \|/, '');
    expect(strip(md)).toBe(strip(readFileSync(join(dir, 'live.md'), 'utf8')));
  });

  it('a session fixed with --apply --yes: the change, the reload and the verification, read from the report', async () => {
    const setup = newLab();
    lab.later(() => setup.cleanup());
    const broken = await scenario('reports-redeploy').setup(setup);
    const md = join(scratch(), 'fixed.md');
    // Backups and the journal go to a folder of the test's, never the box's /var/lib/badgateway.
    const { report, code } = await json(['--apply', '--yes', '--url', broken.url, '--report', md], { env: { ...process.env, BADGATEWAY_STATE_DIR: scratch() } });
    expect([code, report.fix.applied, report.fix.verified]).toEqual([0, true, true]);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('- **Result:** fixed and verified (exit 0)');
    expect(text).toMatch(/- Edit `.*nginx\.conf:\d+`: applied; backup `.+`\. Undo: /);
    expect(text).toMatch(/- Reload `nginx .* -s reload`: ran; master \d+ started new workers/);
    expect(text).toContain('**Verified:** yes: nginx answered 200');
    expect(text).not.toContain('Not applied by badgateway');
  });

  it('an SSH session: the host it ran on and how it ran there', async () => {
    const who = client();
    const sshd = await loopbackSsh(who);
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
    const dir = scratch();
    const target = `root@127.0.0.1:${sshd.port}`;
    const live = await json(['--url', `http://127.0.0.1:${site.port}/`, '--ssh', target, '--record', join(dir, 's.json')], { env: who.env });
    expect([live.report.error, live.report.diagnosis.cause]).toEqual([null, 'backend-down']);
    const recording = readRecording(join(dir, 's.json'));
    expect(recording.hosts).toEqual([expect.objectContaining({ role: 'proxy', label: target, runsAs: expect.stringMatching(/^as root/) })]);
    expect(Object.keys(recording.commands)).toEqual(['proxy']);

    const replayed = await json(['--replay', join(dir, 's.json'), '--report', join(dir, 'r.md')]);
    expect(essence(replayed.report)).toEqual(essence(live.report));
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    expect(md).toContain(`- **Hosts:** proxy \`${target}\``);
    expect(md).toContain(`Host \`${target}\``);
    expect(md).toContain(`| proxy | \`${target}\` | as root`);
  }, 120_000);

  it('a two-host session (nginx on web, the backend on app, both over SSH): each step names its boxes', async () => {
    const web = lab.netns();
    const app = lab.netns();
    const { b: appIp } = link(web, app);
    const who = client();
    await loopbackSsh(who, web, '127.0.0.1');
    await loopbackSsh(who, app, appIp);
    const site = await lab.nginx({ netns: web, server: `location / { proxy_pass http://${appIp}:8080; }` });
    const dir = scratch();
    const args = ['--url', `http://127.0.0.1:${site.port}/`, '--host', 'proxy=root@127.0.0.1', '--host', `app=root@${appIp}`];
    const live = await json([...args, '--record', join(dir, 's.json')], { env: who.env, wrap: web.exec });
    expect([live.report.error, live.report.diagnosis.cause]).toEqual([null, 'backend-down']);
    const recording = readRecording(join(dir, 's.json'));
    expect(recording.hosts.map((h) => [h.role, h.label])).toEqual([
      ['proxy', 'root@127.0.0.1'],
      ['app', `root@${appIp}`],
    ]);
    // Each host's commands under its role: the listeners were read on app.
    expect(recording.commands.app?.some((c) => c.argv[0] === 'ss')).toBe(true);
    expect(recording.commands.proxy?.some((c) => readsConfig(c.argv))).toBe(true);

    // Replayed from anywhere: no namespace, no SSH.
    const replayed = await json(['--replay', join(dir, 's.json'), '--report', join(dir, 'r.md')]);
    expect(essence(replayed.report)).toEqual(essence(live.report));
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    expect(md).toContain(`- **Hosts:** proxy \`root@127.0.0.1\`, app \`root@${appIp}\``);
    expect(md).toContain(`Host \`root@127.0.0.1, root@${appIp}\``);
    expect(md).toContain(`On \`root@${appIp}\`:\n\n\`\`\`console\n$ ss -Hltnxp`);
    expect(md).toMatch(new RegExp(`\\| app \\| \`root@${appIp.replace(/\./g, '\\.')}\` \\| as root`));
  }, 120_000);
});
