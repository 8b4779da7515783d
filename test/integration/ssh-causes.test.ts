import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpBackend, startUnixBackend } from './lab/backend.js';
import { diagnose, runCli } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { parseRecording } from '../../src/record/recording.js';
import { labScope } from './lab/scope.js';
import { fingerprintOf, hostPattern, sshClient, type SshClient } from './lab/ssh-client.js';
import { makeKey, startSshd, type Sshd } from './lab/sshd.js';

const lab = labScope();

/** badgateway --json over SSH, as a person with this client's HOME (its key, its known_hosts, no agent) runs it. */
async function overSsh(target: string, url: string, client: SshClient, extra: string[] = []) {
  const run = await runCli(['--json', '--url', url, '--ssh', target, ...extra], { env: client.env, timeoutMs: 60_000 });
  try {
    return { ...run, report: JSON.parse(run.stdout) };
  } catch {
    throw new Error(`badgateway --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

const nodes = (report: any): string[] => report.steps.map((s: { node: string }) => s.node);

/** The five causes of the local suite, each broken for real on this box; returns the failing URL. */
const CAUSES: { cause: string; setup: () => Promise<string> }[] = [
  {
    cause: 'backend-down',
    setup: async () => {
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'wrong-port',
    setup: async () => {
      const actual = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', actual));
      const site = await lab.nginx({ http: `upstream app { server 127.0.0.1:${await freePort()}; }`, server: 'location / { proxy_pass http://app; }' });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'socket-missing',
    setup: async () => {
      const site = await lab.nginx({ server: `location / { proxy_pass http://unix:${join(lab.scratchDir('bgw-sock-'), 'app.sock')}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'socket-permission',
    setup: async () => {
      const socket = join(lab.scratchDir('bgw-sock-'), 'app.sock');
      lab.own(await startUnixBackend(socket, '600'));
      const site = await lab.nginx({ user: 'nobody nogroup', server: `location / { proxy_pass http://unix:${socket}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'read-timeout',
    setup: async () => {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3 }));
      const site = await lab.nginx({ server: `location /slow/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
      return `http://127.0.0.1:${site.port}/slow/report`;
    },
  },
];

describe('over SSH to a real OpenSSH sshd: the same diagnosis as on the box itself', () => {
  let server: Sshd;
  let client: SshClient;
  let target: string;

  beforeAll(async () => {
    server = await startSshd();
    client = sshClient();
    server.authorize('root', client.key.publicKey);
    client.trust(server);
    target = `root@127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
    server.remove();
    client.remove();
  });

  for (const { cause, setup } of CAUSES) {
    it(`${cause}: locally and over --ssh, the same cause by the same steps`, async () => {
      const url = await setup();
      const local = await diagnose(url);
      const remote = await overSsh(target, url, client);
      expect(local.report.diagnosis.cause).toBe(cause);
      expect(remote.report.diagnosis.cause).toBe(cause);
      expect(nodes(remote.report)).toEqual(nodes(local.report));
      expect([remote.code, remote.report.exitCode, remote.report.error]).toEqual([1, 1, null]);
      // Every step ran over the connection, as root, and says so.
      expect(new Set(remote.report.steps.map((s: { host: string }) => s.host))).toEqual(new Set([target]));
      expect(remote.report.hosts).toEqual([expect.objectContaining({ role: 'proxy', label: target, privilege: { mode: 'root' } })]);
      expect(Object.keys(remote.report.evidenceByHost)).toEqual([target]);
    });
  }
});

describe('over SSH: failures end cleanly with exit 3 and the reason in the report', () => {
  let server: Sshd;
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server.stop();
    server.remove();
  });

  /** A client this sshd lets in (authorized), trusting it or not. */
  function client(options: { authorized?: boolean; trusted?: boolean } = {}): SshClient {
    const c = sshClient();
    lab.later(() => c.remove());
    if (options.authorized !== false) server.authorize('root', c.key.publicKey);
    if (options.trusted !== false) c.trust(server);
    return c;
  }
  const target = () => `root@127.0.0.1:${server.port}`;
  const serverPrint = () => fingerprintOf(server.hostKeys.ed25519 as string);

  it('host key unknown: refused with its fingerprint; accepted with --accept-new-host-key, and saved', async () => {
    const c = client({ trusted: false });
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const refused = await overSsh(target(), url, c);
    expect([refused.code, refused.report.exitCode]).toEqual([3, 3]);
    expect(refused.report.error).toContain('is not known yet');
    expect(refused.report.error).toContain(serverPrint());
    expect(refused.report.error).toContain('--accept-new-host-key');
    expect(refused.report.steps).toEqual([]);
    expect(c.knownHostsText()).toBe('');

    const accepted = await overSsh(target(), url, c, ['--accept-new-host-key']);
    expect([accepted.code, accepted.report.error]).toEqual([1, null]);
    expect(nodes(accepted.report).slice(0, 2)).toEqual(['find-nginx', 'read-config']);
    expect(accepted.report.notes.join('\n')).toContain(serverPrint());
    expect(accepted.report.hosts[0].hostKeys[0]).toMatchObject({ fingerprint: serverPrint(), status: 'added' });
    // Saved where ssh looks (hashed, as this box's ssh_config asks): ssh-keygen finds it by name.
    const found = execFileSync('ssh-keygen', ['-F', hostPattern('127.0.0.1', server.port), '-f', c.knownHosts], { encoding: 'utf8' });
    expect(found).toContain((server.hostKeys.ed25519 as string).split(' ')[1]);
    // The next run knows it.
    const again = await overSsh(target(), url, c);
    expect(again.report.hosts[0].hostKeys[0].status).toBe('known');
  });

  it('host key changed: refused, naming the old and the new fingerprint', async () => {
    const c = client({ trusted: false });
    const impostor = makeKey(c.home, 'old_host_key');
    writeFileSync(c.knownHosts, `${hostPattern('127.0.0.1', server.port)} ${impostor.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    const before = c.knownHostsText();
    const run = await overSsh(target(), 'http://127.0.0.1:9/', c, ['--accept-new-host-key']);
    expect([run.code, run.report.exitCode]).toEqual([3, 3]);
    expect(run.report.error).toContain('CHANGED');
    expect(run.report.error).toContain(fingerprintOf(impostor.publicKey));
    expect(run.report.error).toContain(serverPrint());
    expect(c.knownHostsText()).toBe(before);
  });

  it('a host known by an ECDSA key that now offers only ED25519: refused under --accept-new-host-key, naming both, known_hosts unchanged', async () => {
    const c = client({ trusted: false });
    const known = makeKey(c.home, 'known_ecdsa_host_key', 'ecdsa');
    writeFileSync(c.knownHosts, `${hostPattern('127.0.0.1', server.port)} ${known.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    const before = c.knownHostsText();
    const run = await overSsh(target(), 'http://127.0.0.1:9/', c, ['--accept-new-host-key']);
    expect([run.code, run.report.exitCode]).toEqual([3, 3]);
    expect(run.report.steps).toEqual([]);
    const error = run.report.error.replace(/\s+/g, ' ');
    expect(error).toContain(`known_hosts has ECDSA ${fingerprintOf(known.publicKey)} (${c.knownHosts} line 1) for ${hostPattern('127.0.0.1', server.port)}`);
    expect(error).toContain(`the server now offers only ED25519 ${serverPrint()}, a key of another type`);
    expect(error).toContain('--accept-new-host-key is for hosts seen for the first time');
    expect(error).toContain(`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub prints ${serverPrint()}`);
    expect(c.knownHostsText()).toBe(before);
  });

  it('a client key the server does not know: auth refused, naming the key offered', async () => {
    const c = client({ authorized: false });
    const run = await overSsh(target(), 'http://127.0.0.1:9/', c);
    expect([run.code, run.report.exitCode]).toEqual([3, 3]);
    expect(run.report.error).toContain('refused every key offered');
    expect(run.report.error).toContain(c.key.path);
  });

  it('nothing listens on the SSH port: connection refused', async () => {
    const c = client();
    const port = await freePort();
    const run = await overSsh(`root@127.0.0.1:${port}`, 'http://127.0.0.1:9/', c);
    expect([run.code, run.report.exitCode]).toEqual([3, 3]);
    expect(run.report.error).toContain(`connection refused at 127.0.0.1:${port}`);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until nginx wrote to this error log: badgateway's replay reached it, mid-session. */
async function logged(path: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 3000 && Date.now() < deadline; i++) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes('[error]')) return;
    await sleep(10);
  }
  throw new Error(`nothing was written to ${path} within ${timeoutMs} ms`);
}

/** A process and everything under it, deepest first: the sshd serving one connection and its children. */
function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

describe('over SSH: the connection drops in the middle of a session', () => {
  async function session(extra: string[] = []) {
    const server = await startSshd();
    lab.later(
      () => server.remove(),
      () => server.stop(),
    );
    const c = sshClient();
    lab.later(() => c.remove());
    server.authorize('root', c.key.publicKey);
    c.trust(server);
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
    const run = overSsh(`root@127.0.0.1:${server.port}`, `http://127.0.0.1:${site.port}/`, c, extra);
    await logged(site.errorLog);
    // The sshd processes serving badgateway, not what they started: a dropped link leaves the box's
    // programs running, and a login shell killed half-way can leave the box's own files (a login
    // script's lock) behind for every later login.
    return { server, run, sessions: server.sessions() };
  }

  it('the sshd serving badgateway dies: one reconnect, the diagnosis finishes, and the report (and a recording of it) says so', async () => {
    const recording = join(lab.scratchDir('bgw-drop-rec-'), 'session.json');
    const { run, sessions } = await session(['--record', recording]);
    expect(sessions.length).toBeGreaterThan(0);
    killAll(sessions);
    const { code, report } = await run;
    expect([code, report.error, report.diagnosis.cause]).toEqual([1, null, 'backend-down']);
    expect(report.notes.join('\n')).toMatch(/the connection to root@127\.0\.0\.1:\d+ dropped during the session and was re-opened/);
    expect(report.hosts[0].notes.join('\n')).toContain('dropped during the session');
    expect(parseRecording(readFileSync(recording, 'utf8')).notes.join('\n')).toContain('dropped during the session and was re-opened');
  });

  it('the sshd is gone for good: exit 3, "lost the connection", and the steps done so far', async () => {
    const { server, run, sessions } = await session();
    await server.stop();
    killAll(sessions);
    const { code, report } = await run;
    expect([code, report.exitCode]).toEqual([3, 3]);
    expect(report.error).toMatch(/lost the connection to root@127\.0\.0\.1:\d+: the connection to root@127\.0\.0\.1:\d+ was lost and reconnecting failed: .*connection refused/);
    expect(nodes(report).slice(0, 4)).toEqual(['find-nginx', 'read-config', 'failing-request', 'route']);
  });
});
