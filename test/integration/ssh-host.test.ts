import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect as connectTcp, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local.js';
import { acceptFirstSeenKey, connectSsh, SshError, type HostKeyPrompt, type SshHost, type SshOptions } from '../../src/hosts/ssh/index.js';
import { freePort } from './lab/ports.js';
import { start, waitForPath } from './lab/processes.js';
import { fingerprintOf } from './lab/ssh-client.js';
import { keyscan, makeKey, startSshd, type Sshd } from './lab/sshd.js';
import { ensureUser, sudoersDropIn } from './lab/users.js';

/** Everything a test started, undone afterwards, newest first. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sshd(options: Parameters<typeof startSshd>[0] = {}): Promise<Sshd> {
  const started = await startSshd(options);
  cleanups.push(
    () => started.remove(),
    () => started.stop(),
  );
  return started;
}

/** A home directory of our own: ~/.ssh with a fresh client key (never the real ~/.ssh). */
function makeHome(owner = cleanups): { home: string; ssh: string; key: { path: string; publicKey: string } } {
  const home = mkdtempSync(join(tmpdir(), 'bgw-home-'));
  owner.push(() => rmSync(home, { recursive: true, force: true }));
  const ssh = join(home, '.ssh');
  mkdirSync(ssh, { mode: 0o700 });
  return { home, ssh, key: makeKey(ssh, 'id_ed25519') };
}

function knownHostsOf(home: string): string {
  return join(home, '.ssh', 'known_hosts');
}

/** Trusts this sshd the way a person who ran ssh-keyscan would. */
function trust(home: string, server: Sshd): void {
  writeFileSync(knownHostsOf(home), keyscan(server), { flag: 'a' });
}

async function connect(home: string, target: string, options: Partial<SshOptions> = {}): Promise<SshHost> {
  const host = await connectSsh({ target, files: { home, systemConfig: null, globalKnownHosts: [] }, env: {}, connectTimeoutMs: 5000, ...options });
  cleanups.push(() => host.close());
  return host;
}

async function failure(promise: Promise<unknown>): Promise<SshError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SshError) return error;
    throw error;
  }
  throw new Error('expected an SshError');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A relay on loopback to `port`, undone after the test: it counts what the server sends, and passes every
 * close on unless told to keep the server's from the client.
 */
async function relayTo(port: number, options: { holdServerClose?: boolean } = {}): Promise<{ port: number; fromServer: () => number }> {
  let fromServer = 0;
  const held: Socket[] = [];
  const relay = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connectTcp({ host: '127.0.0.1', port, allowHalfOpen: true });
    held.push(client, upstream);
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      fromServer += d.length;
      client.write(d);
    });
    client.on('end', () => upstream.end());
    if (!options.holdServerClose) upstream.on('end', () => client.end());
    for (const s of [client, upstream]) s.on('error', () => {});
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of held) s.destroy();
    relay.close();
  });
  return { port: (relay.address() as AddressInfo).port, fromServer: () => fromServer };
}

describe('SshHost against a real OpenSSH sshd', () => {
  let server: Sshd;
  let lab: ReturnType<typeof makeHome>;
  let target: string;

  beforeAll(async () => {
    server = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa', 'rsa'], config: 'MaxSessions 8' });
    lab = makeHome([]);
    server.authorize('root', lab.key.publicKey);
    trust(lab.home, server);
    target = `root@127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
    server.remove();
    rmSync(lab.home, { recursive: true, force: true });
  });

  it('runs commands as the local host does: stdout, stderr, exit codes, stdin, quoting, missing programs', async () => {
    const host = await connect(lab.home, target);
    expect(host.label).toBe(`root@127.0.0.1:${server.port}`);
    expect(host.privilege).toEqual({ mode: 'root' });
    const local = new LocalHost();
    const specs: CommandSpec[] = [
      { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] },
      { argv: ['cat'], stdin: 'line one\nline two\n' },
      { argv: ['printf', '%s|', "it's", 'a "quoted" $HOME', '`id`', '; rm -rf /nonexistent', '*', ''] },
      { argv: ['ls', '/nonexistent-bgw'] },
      { argv: ['sh', '-c', 'printf "%s" "$LC_ALL"'] },
      { argv: ['ss', '-V'] },
      { argv: ['head', '-c', '3'], stdin: 'abcdef' },
    ];
    for (const spec of specs) {
      const [remote, here] = await Promise.all([host.run(spec), local.run(spec)]);
      expect({ stdout: remote.stdout, stderr: remote.stderr, code: remote.code }, spec.argv.join(' ')).toEqual({ stdout: here.stdout, stderr: here.stderr, code: here.code });
    }
    const missing = await host.run({ argv: ['bgw-no-such-program', '-x'] });
    expect(missing).toMatchObject({ code: null, failure: 'not-found' });
    expect((await local.run({ argv: ['bgw-no-such-program'] })).failure).toBe('not-found');
  });

  it('12 commands at once all succeed against MaxSessions 8: at most 8 channels are open', async () => {
    const host = await connect(lab.home, target, { batching: false });
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => host.run({ argv: ['sh', '-c', 'sleep 0.3; echo "$1"', 'sh', String(i)] })));
    expect(runs.map((r) => [r.code, r.stdout.trim()])).toEqual(Array.from({ length: 12 }, (_, i) => [0, String(i)]));
    // Without the queue's limit, sessions held longer than the host keeps asking are refused by sshd.
    const unlimited = await connect(lab.home, target, { maxChannels: 12, batching: false });
    const raw = await Promise.all(Array.from({ length: 12 }, () => unlimited.run({ argv: ['sleep', '2.5'] })));
    expect(raw.filter((r) => r.failure?.includes('sshd refused it')).length).toBeGreaterThan(0);
  });

  it('commands asked for at the same moment run as one batch in one long-lived shell on the box', async () => {
    const host = await connect(lab.home, target);
    const sessionOf = { argv: ['sh', '-c', 'ps -o sid= -p $$'] };
    const first = await Promise.all(Array.from({ length: 6 }, () => host.run(sessionOf)));
    const later = await host.run(sessionOf);
    const sessions = new Set([...first, later].map((r) => r.stdout.trim()));
    expect([...first, later].every((r) => r.code === 0 && /^\d+$/.test(r.stdout.trim()))).toBe(true);
    expect(sessions.size).toBe(1);
    // Each exec channel is a session of its own: that is what batching saves.
    const plain = await connect(lab.home, target, { batching: false });
    const apart = await Promise.all(Array.from({ length: 3 }, () => plain.run(sessionOf)));
    expect(new Set(apart.map((r) => r.stdout.trim())).size).toBe(3);
  });

  it('connecting logs in once: the probes run on the shell later batches use; a second opens for the first look-ahead, or both look-ahead shells at login when asked', async () => {
    const started = () =>
      server.process
        .output()
        .split('\n')
        .filter((l) => l.includes('Starting session: command')).length;
    const settled = async (count: number) => {
      for (let i = 0; i < 40 && started() - before < count; i++) await sleep(50);
      // sshd logs a session as it starts it: a second one would show by now.
      await sleep(200);
      return started() - before;
    };
    const before = started();
    const host = await connect(lab.home, target);
    expect(host.privilege).toEqual({ mode: 'root' });
    expect((await host.run({ argv: ['echo', 'now'] })).stdout).toBe('now\n');
    expect(await settled(1)).toBe(1);
    expect((await host.run({ argv: ['echo', 'ahead'], early: true })).stdout).toBe('ahead\n');
    expect(await settled(2)).toBe(2);
    // nginx's box opens all three at login: its look-ahead starts with the first step.
    await connect(lab.home, target, { lookAheadAtLogin: true });
    expect(await settled(5)).toBe(5);
  });

  it('commands asked at login answer the first time they are asked, from the login itself; a failed one runs again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-login-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'state'), 'at login\n');
    const state = { argv: ['cat', join(dir, 'state')] };
    const later = { argv: ['cat', join(dir, 'later')] };
    const host = await connect(lab.home, target, { atLogin: [state, later] });
    writeFileSync(join(dir, 'state'), 'now\n');
    writeFileSync(join(dir, 'later'), 'made after login\n');
    expect(await host.run(state)).toMatchObject({ code: 0, stdout: 'at login\n' });
    expect(await host.run(state)).toMatchObject({ code: 0, stdout: 'now\n' });
    expect(await host.run(later)).toMatchObject({ code: 0, stdout: 'made after login\n' });
  });

  it('a large output (12 MB, as nginx -T of a big site) arrives whole, beside a small one in the same batch', async () => {
    const host = await connect(lab.home, target);
    const [big, small] = await Promise.all([host.run({ argv: ['sh', '-c', 'yes "server_name a.example;" | head -c 12000000'] }), host.run({ argv: ['echo', 'small'] })]);
    expect(big.code).toBe(0);
    expect(big.stdout.length).toBe(12_000_000);
    expect(big.stdout.startsWith('server_name a.example;\nserver_name')).toBe(true);
    expect(big.stdout.split('\n').filter((l) => l !== 'server_name a.example;').length).toBe(1);
    expect(small).toMatchObject({ code: 0, stdout: 'small\n' });
  });

  it('Compression yes in ~/.ssh/config: a big read crosses the wire zlib-compressed, as with ssh -C; without it, whole', async () => {
    const { port, fromServer } = await relayTo(server.port);
    const { home, ssh, key } = makeHome();
    server.authorize('root', key.publicKey);
    writeFileSync(knownHostsOf(home), keyscan(server).replaceAll(`]:${server.port} `, `]:${port} `));
    writeFileSync(join(ssh, 'config'), `Host squeezed\n  HostName 127.0.0.1\n  Port ${port}\n  User root\n  Compression yes\nHost plain\n  HostName 127.0.0.1\n  Port ${port}\n  User root\n`);
    const read: CommandSpec = { argv: ['sh', '-c', 'yes "server_name a.example;" | head -c 4000000'] };
    const sentFor = async (alias: string): Promise<number> => {
      const host = await connect(home, alias);
      const before = fromServer();
      const result = await host.run(read);
      expect(result.stdout.length).toBe(4_000_000);
      return fromServer() - before;
    };
    expect(await sentFor('plain')).toBeGreaterThan(4_000_000);
    expect(await sentFor('squeezed')).toBeLessThan(400_000);
  });

  it('in one batch, a quick command is answered without waiting for a slow one', async () => {
    const host = await connect(lab.home, target);
    const [slow, quick] = await Promise.all([host.run({ argv: ['sh', '-c', 'sleep 2; echo slow'] }), host.run({ argv: ['echo', 'quick'] })]);
    expect(quick).toMatchObject({ code: 0, stdout: 'quick\n' });
    expect(slow).toMatchObject({ code: 0, stdout: 'slow\n' });
    expect(quick.ms).toBeLessThan(1500);
    expect(slow.ms).toBeGreaterThanOrEqual(2000);
  });

  it('a slow command asked ahead of need does not hold up a command asked for now', async () => {
    const host = await connect(lab.home, target);
    const ahead = host.run({ argv: ['sleep', '3'], early: true });
    const now = await host.run({ argv: ['echo', 'now'] });
    expect(now).toMatchObject({ code: 0, stdout: 'now\n' });
    expect(now.ms).toBeLessThan(2500);
    expect(await ahead).toMatchObject({ code: 0 });
  });

  it('a slow command asked ahead does not hold up the next look-ahead either: that one runs on another shell', async () => {
    const host = await connect(lab.home, target, { lookAheadAtLogin: true });
    const slow = host.run({ argv: ['sleep', '3'], early: true });
    await sleep(100);
    const next = await host.run({ argv: ['echo', 'ahead'], early: true });
    expect(next).toMatchObject({ code: 0, stdout: 'ahead\n' });
    expect(next.ms).toBeLessThan(2500);
    expect(await slow).toMatchObject({ code: 0 });
  });

  it('closing lets the connection go once its goodbye has left: a server whose close never arrives does not hold the process', async () => {
    // The client never hears the server close.
    const { port } = await relayTo(server.port, { holdServerClose: true });
    const script = join(lab.home, 'close-once.mts');
    writeFileSync(
      script,
      [
        `import { connectSsh, acceptFirstSeenKey } from ${JSON.stringify(join(process.cwd(), 'src/hosts/ssh/index.ts'))};`,
        `const host = await connectSsh({ target: 'root@127.0.0.1:${port}', files: { home: ${JSON.stringify(lab.home)}, systemConfig: null, globalKnownHosts: [] }, env: {}, connectTimeoutMs: 5000, onUnknownHostKey: acceptFirstSeenKey });`,
        "process.stdout.write((await host.run({ argv: ['echo', 'ran'] })).stdout);",
        'await host.close();',
      ].join('\n'),
    );
    const started = Date.now();
    // ssh2's keepalive (every 10 s, 3 missed) would hold a process that waits for the server's close for 30 s or more.
    // Asynchronously: the relay runs in this process.
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), timeout: 20_000, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(out).toBe('ran\n');
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a command past its timeout fails with "timeout" and the remote process is killed', async () => {
    const host = await connect(lab.home, target);
    const run = await host.run({ argv: ['sleep', '31.7'], timeoutMs: 1000 });
    expect(run).toMatchObject({ code: null, failure: 'timeout' });
    expect(run.ms).toBeLessThan(2500);
    const sleeping = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .some((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\x0031.7\x00';
          } catch {
            return false;
          }
        });
    for (let i = 0; i < 40 && sleeping(); i++) await sleep(50);
    expect(sleeping()).toBe(false);
    // The connection is still good afterwards.
    expect((await host.run({ argv: ['echo', 'after'] })).stdout).toBe('after\n');
  });

  it('an aborted command stops at once', async () => {
    const host = await connect(lab.home, target);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const run = await host.run({ argv: ['sleep', '20'] }, controller.signal);
    expect(run).toMatchObject({ code: null, failure: 'aborted' });
    expect(run.ms).toBeLessThan(2000);
  });

  it('a dropped connection is re-opened once and the command runs again', async () => {
    const host = await connect(lab.home, target);
    const pending = host.run({ argv: ['sh', '-c', 'sleep 1; echo finished'] });
    await sleep(300);
    // Kill the sshd process serving this connection (a child of the sshd we started), by PID.
    const serving = server.sessions();
    expect(serving.length).toBeGreaterThan(0);
    for (const pid of serving) process.kill(pid, 'SIGKILL');
    const run = await pending;
    expect(run).toMatchObject({ code: 0, stdout: 'finished\n' });
  });
});

describe('host keys', () => {
  it('unknown: refused without a handler, and known_hosts is left alone', async () => {
    const server = await sshd();
    const { home, key } = makeHome();
    server.authorize('root', key.publicKey);
    const error = await failure(connect(home, `root@127.0.0.1:${server.port}`));
    expect(error.kind).toBe('host-key-unknown');
    expect(error.message).toContain(fingerprintOf(server.hostKeys.ed25519 as string));
    expect(existsSync(knownHostsOf(home))).toBe(false);
    // Refused by the handler (the wizard's "no", or --json without --accept-new-host-key).
    const declined = await failure(connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: async () => false }));
    expect(declined.kind).toBe('host-key-unknown');
  });

  it('unknown, accepted: the prompt shows the fingerprint; the key is written as ssh-keyscan writes it', async () => {
    const server = await sshd();
    const { home, key } = makeHome();
    server.authorize('root', key.publicKey);
    const prompts: HostKeyPrompt[] = [];
    const host = await connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: async (p) => (prompts.push(p), true) });
    expect(prompts).toEqual([
      {
        host: `root@127.0.0.1:${server.port}`,
        knownHostsName: `[127.0.0.1]:${server.port}`,
        keyType: 'ssh-ed25519',
        keyTypeName: 'ED25519',
        fingerprint: fingerprintOf(server.hostKeys.ed25519 as string),
        saveTo: knownHostsOf(home),
        otherKeyTypes: [],
        otherKeys: [],
      },
    ]);
    expect(readFileSync(knownHostsOf(home), 'utf8')).toBe(keyscan(server, 'ed25519'));
    expect(host.summary().hostKeys[0]?.status).toBe('added');
    await host.close();
    // Next time it is known: no question.
    await connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: async () => expect.fail('asked again') });
    // And OpenSSH's own ssh-keygen finds it.
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', knownHostsOf(home)], { encoding: 'utf8' })).toContain('found: line 1');
  });

  it('accepted with HashKnownHosts yes: written hashed, and ssh-keygen -F finds it', async () => {
    const server = await sshd();
    const { home, ssh, key } = makeHome();
    server.authorize('root', key.publicKey);
    writeFileSync(join(ssh, 'config'), 'Host *\n    HashKnownHosts yes\n');
    await connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: async () => true });
    const written = readFileSync(knownHostsOf(home), 'utf8');
    expect(written).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 AAAA\S+\n$/);
    expect(written).not.toContain('127.0.0.1');
    expect(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', knownHostsOf(home)], { encoding: 'utf8' })).toContain('found: line 1');
  });

  it('changed (the server was re-keyed on the same port): refused, both fingerprints named', async () => {
    const old = await sshd();
    const { home, key } = makeHome();
    trust(home, old);
    const oldKey = old.hostKeys.ed25519 as string;
    const port = old.port;
    await old.stop();
    const renewed = await sshd({ port });
    renewed.authorize('root', key.publicKey);
    const error = await failure(connect(home, `root@127.0.0.1:${port}`, { onUnknownHostKey: async () => expect.fail('a changed key is never a question') }));
    expect(error.kind).toBe('host-key-changed');
    expect(error.message).toContain(fingerprintOf(oldKey));
    expect(error.message).toContain(fingerprintOf(renewed.hostKeys.ed25519 as string));
    expect(error.message).toContain(`ssh-keygen -f ${knownHostsOf(home)} -R '[127.0.0.1]:${port}'`);
  });

  it('revoked: refused even though the key is also listed', async () => {
    const server = await sshd();
    const { home, key } = makeHome();
    server.authorize('root', key.publicKey);
    trust(home, server);
    const [type, blob] = (server.hostKeys.ed25519 as string).split(' ');
    writeFileSync(knownHostsOf(home), `@revoked * ${type} ${blob}\n`, { flag: 'a' });
    const error = await failure(connect(home, `root@127.0.0.1:${server.port}`));
    expect(error.kind).toBe('host-key-revoked');
    expect(error.message).toContain(fingerprintOf(server.hostKeys.ed25519 as string));
    expect(error.message).toContain('@revoked');
  });

  it('a host known by its ECDSA key that offers only ED25519: a changed key, never trusted unattended; the question names the known key', async () => {
    const server = await sshd({ hostKeyTypes: ['ed25519'] });
    const { home, ssh, key } = makeHome();
    server.authorize('root', key.publicKey);
    const known = makeKey(ssh, 'known_ecdsa', 'ecdsa');
    writeFileSync(knownHostsOf(home), `[127.0.0.1]:${server.port} ${known.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    const before = readFileSync(knownHostsOf(home), 'utf8');
    // --accept-new-host-key's handler: refused as a changed key, both keys named, known_hosts untouched.
    const error = await failure(connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: acceptFirstSeenKey }));
    expect(error.kind).toBe('host-key-changed');
    expect(error.message).toContain(`known_hosts has ECDSA ${fingerprintOf(known.publicKey)} (${knownHostsOf(home)} line 1)`);
    expect(error.message).toContain(`offers only ED25519 ${fingerprintOf(server.hostKeys.ed25519 as string)}, a key of another type`);
    expect(readFileSync(knownHostsOf(home), 'utf8')).toBe(before);
    // A person is asked, and the question carries the key already known.
    const prompts: HostKeyPrompt[] = [];
    const declined = await failure(connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: async (p) => (prompts.push(p), false) }));
    expect(declined.kind).toBe('host-key-changed');
    expect(prompts[0]).toMatchObject({
      keyTypeName: 'ED25519',
      otherKeyTypes: ['ecdsa-sha2-nistp256'],
      otherKeys: [{ keyType: 'ecdsa-sha2-nistp256', keyTypeName: 'ECDSA', fingerprint: fingerprintOf(known.publicKey), file: knownHostsOf(home), line: 1 }],
    });
    // A person who compared the fingerprints may trust it: it is added beside the ECDSA line.
    const host = await connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: async () => true });
    expect(host.summary().hostKeys[0]).toMatchObject({ keyType: 'ssh-ed25519', status: 'added' });
    expect(readFileSync(knownHostsOf(home), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it("a host seen for the first time is trusted by --accept-new-host-key's handler", async () => {
    const server = await sshd();
    const { home, key } = makeHome();
    server.authorize('root', key.publicKey);
    const host = await connect(home, `root@127.0.0.1:${server.port}`, { onUnknownHostKey: acceptFirstSeenKey });
    expect(host.summary().hostKeys[0]?.status).toBe('added');
  });

  it('a host known only by its ECDSA key is asked for that key, not a new ED25519 one', async () => {
    const server = await sshd({ hostKeyTypes: ['ed25519', 'ecdsa'] });
    const { home, key } = makeHome();
    server.authorize('root', key.publicKey);
    writeFileSync(knownHostsOf(home), keyscan(server, 'ecdsa'));
    const host = await connect(home, `root@127.0.0.1:${server.port}`);
    expect(host.summary().hostKeys[0]).toMatchObject({ keyType: 'ecdsa-sha2-nistp256', status: 'known' });
  });
});

describe('login failures', () => {
  it('a key the server does not know: auth, with what was offered', async () => {
    const server = await sshd();
    const { home } = makeHome();
    trust(home, server);
    const error = await failure(connect(home, `root@127.0.0.1:${server.port}`));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(join(home, '.ssh', 'id_ed25519'));
    expect(error.message).toContain('authorized_keys');
  });

  it('no key at all: auth, saying how to get one', async () => {
    const { home } = makeHome();
    rmSync(join(home, '.ssh', 'id_ed25519'));
    const error = await failure(connect(home, `root@127.0.0.1:${await freePort()}`));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('no key to log in');
  });

  it('nothing listens on the port: refused', async () => {
    const { home } = makeHome();
    const port = await freePort();
    const error = await failure(connect(home, `root@127.0.0.1:${port}`));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('a name that does not resolve: dns', async () => {
    const { home } = makeHome();
    const error = await failure(connect(home, 'root@bgw-nowhere.invalid'));
    expect(error.kind).toBe('dns');
    expect(error.message).toContain('bgw-nowhere.invalid');
  });

  it('a server that never speaks SSH: timeout within the limit', async () => {
    const { createServer } = await import('node:net');
    // It reads (so it sees the client leave) and never answers.
    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const port = (silent.address() as { port: number }).port;
    const { home } = makeHome();
    const started = Date.now();
    const error = await failure(connect(home, `root@127.0.0.1:${port}`, { connectTimeoutMs: 1000 }));
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('the connection is lost for good: the command fails with the reason', async () => {
    const server = await sshd();
    const { home, key } = makeHome();
    server.authorize('root', key.publicKey);
    trust(home, server);
    const host = await connect(home, `root@127.0.0.1:${server.port}`);
    // Its sessions run in their own process groups: end them too (by PID, found before the listener goes).
    const sessions = server.sessions();
    await server.stop();
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    await sleep(200);
    const run = await host.run({ argv: ['true'] });
    expect(run.code).toBeNull();
    expect(run.failure).toMatch(/^dropped: the connection to root@127\.0\.0\.1:\d+ was lost and reconnecting failed: .*connection refused/);
    // Later commands fail at once with the same reason instead of retrying.
    expect((await host.run({ argv: ['true'] })).failure).toBe(run.failure);
  });
});

describe('keys', () => {
  it('an encrypted key: the passphrase is asked (three tries), a wrong one then the right one logs in', async () => {
    const server = await sshd();
    const { home, ssh } = makeHome();
    rmSync(join(ssh, 'id_ed25519'));
    rmSync(join(ssh, 'id_ed25519.pub'));
    const key = makeKey(ssh, 'id_ecdsa', 'ecdsa', 'correct horse');
    server.authorize('root', key.publicKey);
    trust(home, server);
    const asked: [string, number][] = [];
    const host = await connect(home, `root@127.0.0.1:${server.port}`, {
      askPassphrase: async (file, attempt) => (asked.push([file, attempt]), attempt === 1 ? 'wrong' : 'correct horse'),
    });
    expect(asked).toEqual([
      [key.path, 1],
      [key.path, 2],
    ]);
    expect((await host.run({ argv: ['echo', 'in'] })).stdout).toBe('in\n');
  });

  it('an encrypted key and no passphrase (--json): passphrase-needed, naming the key and ssh-add', async () => {
    const server = await sshd();
    const { home, ssh } = makeHome();
    const key = makeKey(ssh, 'id_rsa', 'rsa', 'secret words');
    server.authorize('root', key.publicKey);
    trust(home, server);
    const error = await failure(connect(home, `root@127.0.0.1:${server.port}`, { askPassphrase: async () => null }));
    expect(error.kind).toBe('passphrase-needed');
    expect(error.message).toContain(`ssh-add ${key.path}`);
    // The unencrypted id_ed25519 was tried too (and refused): only the locked key could have worked.
  });

  it('ssh-agent: its key logs in with no key file at all', async () => {
    const server = await sshd();
    const { home, ssh, key } = makeHome();
    server.authorize('root', key.publicKey);
    trust(home, server);
    const socket = join(home, 'agent.sock');
    const agent = start('ssh-agent', ['-D', '-a', socket]);
    cleanups.push(() => agent.stop());
    await waitForPath(socket, 'ssh-agent');
    execFileSync('ssh-add', ['-q', key.path], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'pipe' });
    rmSync(join(ssh, 'id_ed25519'));
    const host = await connect(home, `root@127.0.0.1:${server.port}`, { env: { SSH_AUTH_SOCK: socket } });
    expect((await host.run({ argv: ['echo', 'agent'] })).stdout).toBe('agent\n');
  });
});

describe('~/.ssh/config and ProxyJump', () => {
  it('an alias from ~/.ssh/config (HostName, Port, User, IdentityFile) through a jump host: both keys verified', async () => {
    const jump = await sshd();
    const inner = await sshd({ hostKeyTypes: ['ecdsa'] });
    const { home, ssh } = makeHome();
    const jumpKey = makeKey(ssh, 'jump_key');
    const appKey = makeKey(ssh, 'app_key');
    jump.authorize('root', jumpKey.publicKey);
    inner.authorize('root', appKey.publicKey);
    trust(home, jump);
    trust(home, inner);
    writeFileSync(
      join(ssh, 'config'),
      `Host app
    HostName 127.0.0.1
    Port ${inner.port}
    User root
    IdentityFile ~/.ssh/app_key
    ProxyJump bastion

Host bastion
    HostName 127.0.0.1
    Port ${jump.port}
    User root
    IdentityFile %d/.ssh/jump_key
`,
    );
    const host = await connect(home, 'app');
    expect(host.label).toBe('root@app');
    expect(host.summary().address).toBe(`127.0.0.1:${inner.port}`);
    expect((await host.run({ argv: ['echo', 'through'] })).stdout).toBe('through\n');
    const summary = host.summary();
    expect(summary.via).toEqual(['root@bastion']);
    expect(summary.hostKeys.map((k) => [k.host, k.keyType, k.status, k.fingerprint])).toEqual([
      ['root@bastion', 'ssh-ed25519', 'known', fingerprintOf(jump.hostKeys.ed25519 as string)],
      ['root@app', 'ecdsa-sha2-nistp256', 'known', fingerprintOf(inner.hostKeys.ecdsa as string)],
    ]);
    // The jump host really carries the session.
    expect(jump.sessions().length).toBeGreaterThan(0);
  });

  it('the target behind the jump host is verified too: unknown there is refused', async () => {
    const jump = await sshd();
    const inner = await sshd();
    const { home, key } = makeHome();
    jump.authorize('root', key.publicKey);
    inner.authorize('root', key.publicKey);
    trust(home, jump);
    writeFileSync(join(home, '.ssh', 'config'), `Host inner\n    HostName 127.0.0.1\n    Port ${inner.port}\n    ProxyJump root@127.0.0.1:${jump.port}\n`);
    const prompts: HostKeyPrompt[] = [];
    const error = await failure(connect(home, 'root@inner', { onUnknownHostKey: async (p) => (prompts.push(p), false) }));
    expect(error.kind).toBe('host-key-unknown');
    expect(error.host).toBe('root@inner');
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatchObject({ via: `root@127.0.0.1:${jump.port}`, knownHostsName: `[127.0.0.1]:${inner.port}`, fingerprint: fingerprintOf(inner.hostKeys.ed25519 as string) });
  });

  it('the jump host cannot reach the target: refused, saying it was dialled from the jump host', async () => {
    const jump = await sshd();
    const { home, key } = makeHome();
    jump.authorize('root', key.publicKey);
    trust(home, jump);
    const closed = await freePort();
    writeFileSync(join(home, '.ssh', 'config'), `Host gone\n    HostName 127.0.0.1\n    Port ${closed}\n    ProxyJump root@127.0.0.1:${jump.port}\n`);
    const error = await failure(connect(home, 'root@gone'));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain(`dialled from root@127.0.0.1:${jump.port}`);
  });
});

describe('sudo for a user who is not root', () => {
  const USER = 'bgw-ssh';
  const PASSWORD = 'Bgw-Test-Pass-1';
  let server: Sshd;
  let lab: ReturnType<typeof makeHome>;

  beforeAll(async () => {
    ensureUser(USER, PASSWORD);
    server = await startSshd();
    lab = makeHome([]);
    server.authorize(USER, lab.key.publicKey);
    trust(lab.home, server);
  });
  afterAll(async () => {
    await server.stop();
    server.remove();
    rmSync(lab.home, { recursive: true, force: true });
  });

  const target = () => `${USER}@127.0.0.1:${server.port}`;

  it('NOPASSWD: every command runs through sudo -n', async () => {
    cleanups.push(sudoersDropIn('bgw-ssh-test', `${USER} ALL=(ALL) NOPASSWD: ALL`));
    // id -u asked at login ran as the user, not through sudo: that answer is not given out.
    const host = await connect(lab.home, target(), { atLogin: [{ argv: ['id', '-u'] }] });
    expect(host.privilege).toEqual({ mode: 'sudo' });
    expect(host.needsSudoPassword).toBe(false);
    expect((await host.run({ argv: ['id', '-u'] })).stdout).toBe('0\n');
    expect((await host.run({ argv: ['cat'], stdin: 'piped\n' })).stdout).toBe('piped\n');
    expect((await host.run({ argv: ['bgw-no-such-program'] })).failure).toBe('not-found');
  });

  it('a password rule: asked for; a wrong one changes nothing; the right one runs commands as root, stdin intact', async () => {
    cleanups.push(sudoersDropIn('bgw-ssh-test', `${USER} ALL=(ALL) ALL`));
    const host = await connect(lab.home, target());
    expect(host.needsSudoPassword).toBe(true);
    expect((await host.run({ argv: ['id', '-u'] })).stdout).not.toBe('0\n');
    expect(await host.useSudoPassword('not-it')).toMatchObject({ ok: false, reason: 'wrong' });
    expect(host.needsSudoPassword).toBe(true);
    expect(await host.useSudoPassword(PASSWORD)).toEqual({ ok: true });
    expect(host.privilege).toEqual({ mode: 'sudo-password' });
    const id = await host.run({ argv: ['id', '-u'] });
    expect(id).toMatchObject({ stdout: '0\n', stderr: '', code: 0 });
    // The password went to sudo only: the command's stdin is exactly what was given.
    const cat = await host.run({ argv: ['cat'], stdin: 'only this\n' });
    expect(cat).toMatchObject({ stdout: 'only this\n', stderr: '', code: 0 });
    expect((await host.run({ argv: ['cat'] })).stdout).toBe('');
    const both = await host.run({ argv: ['sh', '-c', 'echo to-err >&2; exit 5'] });
    expect(both).toMatchObject({ stderr: 'to-err\n', code: 5 });
    expect(JSON.stringify(host.summary())).not.toContain(PASSWORD);
    const runs = await Promise.all(Array.from({ length: 10 }, () => host.run({ argv: ['id', '-u'] })));
    expect(runs.every((r) => r.stdout === '0\n')).toBe(true);
  });

  it('no sudoers rule: the password is refused for good and the host runs unprivileged, saying so', async () => {
    const host = await connect(lab.home, target());
    expect(host.needsSudoPassword).toBe(true);
    expect(await host.useSudoPassword(PASSWORD)).toMatchObject({ ok: false, reason: 'refused', detail: `${USER} is not in the sudoers file.` });
    expect(host.privilege).toMatchObject({ mode: 'unprivileged', reason: 'sudo-refused' });
    expect(host.summary().runsAs).toContain('unprivileged');
    expect((await host.run({ argv: ['id', '-un'] })).stdout).toBe(`${USER}\n`);
  });

  it('declining to give a password: unprivileged, and the report says why', async () => {
    cleanups.push(sudoersDropIn('bgw-ssh-test', `${USER} ALL=(ALL) ALL`));
    const host = await connect(lab.home, target());
    host.continueUnprivileged();
    expect(host.privilege).toMatchObject({ mode: 'unprivileged', reason: 'declined' });
    expect(host.summary().runsAs).toBe(`as ${USER}, unprivileged: no sudo password was given; checks that need root (nginx -T, the error logs) may fail`);
  });
});
