/**
 * Values from the box may be hostile: a path in nginx.conf can hold $(...), backticks, ; and more.
 * Every command path of an apply runs with such values, locally (LocalHost, argv only) and over SSH
 * (a real sshd, where one quoting function builds the remote command line): nothing they hold may run,
 * and every value must arrive exactly as it was.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Box, sha256 } from '../../src/fixes/apply/box.js';
import { parseOwnership, statCommand } from '../../src/fixes/apply/commands.js';
import { readJournal, writeJournal } from '../../src/fixes/apply/journal.js';
import type { ApplyRecord } from '../../src/fixes/apply/record.js';
import { validateWith } from '../../src/fixes/apply/validate.js';
import type { Host } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local.js';
import { connectSsh } from '../../src/hosts/ssh/index.js';
import { answer, applyFix, stateDir } from './lab/apply.js';
import { startTcpBackend } from './lab/backend.js';
import { runCli } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { start, waitForPort } from './lab/processes.js';
import { labScope } from './lab/scope.js';
import { sshClient, type SshClient } from './lab/ssh-client.js';
import { startSshd, type Sshd } from './lab/sshd.js';

const { later, own } = labScope();

const CANARY_DIR = mkdtempSync(join(tmpdir(), 'bgw-canary-'));
/** Contents may name an absolute canary; file names cannot hold "/", so theirs is relative. */
const CANARY = join(CANARY_DIR, 'ran');
const NAMED = 'bgw-fuzz-canary';
/** Where a relative `touch` would land: the test's cwd, the SSH session's (root's home), the root. */
const NAMED_PLACES = [join(process.cwd(), NAMED), `/root/${NAMED}`, `/${NAMED}`];

/** File names (no "/" or NUL) that a shell would take apart, expand or run. */
const HOSTILE = [
  `e$(touch ${NAMED})\`touch ${NAMED}\`;y.log`,
  `'; touch ${NAMED}; echo '`,
  `" && touch ${NAMED} && "`,
  `a\nb; touch ${NAMED}`,
  `tab\there | touch ${NAMED}`,
  '*',
  '?[a-z]*{x,y}',
  '-rf',
  '--help',
  '-',
  `$HOME\${IFS}~root $(id)`,
  'back\\slash\\n and "quotes" \'too\'',
  `> ${NAMED}`,
  `>(touch ${NAMED})<(touch ${NAMED})&`,
  'ünïcødé ☃ name',
];

/** File contents as hostile as the names, with a trailing newline and without. */
const content = (name: string) => `# ${name}\nline $(touch ${CANARY}) \`touch ${CANARY}\`; echo "$HOME" '\\' \n${name}`;

function noCanary(): void {
  expect(existsSync(CANARY), `something ran: ${CANARY} exists`).toBe(false);
  expect(readdirSync(CANARY_DIR)).toEqual([]);
  expect(
    NAMED_PLACES.filter((p) => existsSync(p)),
    'something ran',
  ).toEqual([]);
}

function record(title: string, stateDir: string): ApplyRecord {
  return {
    v: 1,
    id: 'fuzz',
    event: 'applied',
    at: new Date().toISOString(),
    host: 'x',
    cause: 'wrong-port',
    title,
    request: title,
    stateDir,
    nginx: null,
    backend: null,
    changes: [],
    verified: true,
    failure: title,
  };
}

/** Every file operation an apply uses, with hostile names and contents, through one host. */
async function everyPath(host: Host): Promise<void> {
  // Each value in a folder of its own, all at once (over SSH each command is a channel of one connection).
  await Promise.all(HOSTILE.map((name) => onePath(host, name)));
}

async function onePath(host: Host, name: string): Promise<void> {
  const box = new Box(host);
  {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-fuzz-'));
    try {
      const path = join(dir, name);
      writeFileSync(path, content(name));
      // read, resolve, checksum
      expect(await box.realPath(path)).toBe(path);
      expect(await box.read(path)).toBe(content(name));
      expect(await box.sha256(path)).toBe(sha256(content(name)));
      expect(await box.exists(path)).toBe(true);
      // backup: a folder named like the value, a copy
      const backup = join(dir, 'backups', name, name);
      await box.mkdirs(dirname(backup), true);
      await box.copy(path, backup);
      expect(readFileSync(backup, 'utf8')).toBe(content(name));
      // candidate: written through stdin
      const candidate = join(dir, `.${name}.badgateway-fuzz`);
      await box.copy(path, candidate);
      const next = `${content(name)}\n# changed`;
      await box.overwrite(candidate, next);
      expect(readFileSync(candidate, 'utf8')).toBe(next);
      // validation: the test sees the candidate in place of the file, in a private mount namespace
      const seen = await validateWith(box, [{ candidate, target: path }], ['cat', '--', path]);
      expect(seen.ok, seen.output).toBe(true);
      expect(seen.output).toBe(next.trim());
      expect(readFileSync(path, 'utf8')).toBe(content(name));
      // the atomic swap, one pair and two pairs (the shell loop with positional arguments)
      await box.swap([[candidate, path]]);
      expect(readFileSync(path, 'utf8')).toBe(next);
      const other = join(dir, `${name}.2`);
      writeFileSync(other, 'two');
      const c1 = join(dir, `${name}.c1`);
      const c2 = join(dir, `${name}.c2`);
      writeFileSync(c1, 'one-new');
      writeFileSync(c2, 'two-new');
      await box.swap([
        [c1, path],
        [c2, other],
      ]);
      expect([readFileSync(path, 'utf8'), readFileSync(other, 'utf8')]).toEqual(['one-new', 'two-new']);
      // a command with its undo: chmod, read back with stat
      const before = parseOwnership((await box.run({ argv: statCommand(path) })).stdout);
      expect(before?.mode).toBe((statSync(path).mode & 0o777).toString(8));
      await box.must({ argv: ['chmod', '640', '--', path] }, 'chmod');
      expect(statSync(path).mode & 0o777).toBe(0o640);
      await box.must({ argv: ['chmod', before?.mode ?? '644', '--', path] }, 'chmod back');
      // the journal: a folder and records holding the value
      const state = join(dir, 'state', name);
      await writeJournal(box, state, record(name, state));
      expect((await readJournal(box, state)).map((r) => r.title)).toEqual([name]);
      await box.remove(path);
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(dir)).toContain(`${name}.2`);
      expect(existsSync(join(dir, NAMED)), 'something ran').toBe(false);
      noCanary();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

let server: Sshd;
let client: SshClient;

beforeAll(async () => {
  server = await startSshd();
  client = sshClient();
  server.authorize('root', client.key.publicKey);
  client.trust(server);
});
afterAll(async () => {
  await server.stop();
  server.remove();
  client.remove();
  rmSync(CANARY_DIR, { recursive: true, force: true });
});

describe('hostile values through every command path of an apply: nothing runs, everything arrives intact', () => {
  it('locally (LocalHost: argv arrays, no shell)', async () => {
    await everyPath(new LocalHost());
    noCanary();
  });

  it('over SSH (one quoting function builds each remote command line)', async () => {
    const host = await connectSsh({ target: `root@127.0.0.1:${server.port}`, files: { home: client.home, systemConfig: null, globalKnownHosts: [] }, env: {}, connectTimeoutMs: 5000 });
    try {
      await everyPath(host);
    } finally {
      await host.close();
    }
    noCanary();
  }, 180_000);
});

/** The issue's own example, legal in nginx.conf, as the server's error log. */
const HOSTILE_LOG = '/var/log/nginx/e$(touch x)`id`;y.log';

/**
 * A real nginx whose prefix and error log have hostile names (quoted in nginx.conf, as nginx allows),
 * dialling the wrong port. Its config file's path reaches nginx -t, the mount-namespace test and the
 * reload; the error log's path reaches stat and tail during the diagnosis and the verification.
 */
async function hostileNginx(backendPort: number) {
  // No spaces here: ps shows nginx's -c/-p joined by spaces, so a path with one cannot be read back from it.
  const prefix = mkdtempSync(join(tmpdir(), 'bgw-q-$(id)`id`;y-'));
  for (const d of ['logs', 'temp', 'conf']) mkdirSync(join(prefix, d));
  mkdirSync(dirname(HOSTILE_LOG), { recursive: true });
  const port = await freePort();
  const dialled = await freePort();
  const conf = join(prefix, 'conf', 'nginx.conf');
  const q = (p: string) => `"${p}"`;
  const text = `user nobody nogroup;
worker_processes 1;
pid ${q(`${prefix}/nginx.pid`)};
error_log ${q(`${prefix}/logs/main-error.log`)};
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ${q(`${prefix}/temp/body`)};
    proxy_temp_path ${q(`${prefix}/temp/proxy`)};
    upstream app { server 127.0.0.1:${dialled}; }
    server {
        listen 127.0.0.1:${port};
        error_log ${q(HOSTILE_LOG)};
        location / { proxy_pass http://app; }
    }
}
`;
  writeFileSync(conf, text);
  execFileSync('nginx', ['-t', '-q', '-c', conf, '-p', `${prefix}/`], { stdio: 'pipe' });
  const nginx = own(start('nginx', ['-c', conf, '-p', `${prefix}/`, '-g', 'daemon off;']));
  later(
    () => rmSync(prefix, { recursive: true, force: true }),
    () => rmSync(HOSTILE_LOG, { force: true }),
  );
  await waitForPort('127.0.0.1', port, 'nginx');
  return { prefix, conf, text, port, nginx, fixed: text.replace(`server 127.0.0.1:${dialled};`, `server 127.0.0.1:${backendPort};`) };
}

describe('an apply end to end on an nginx with hostile paths', () => {
  it('locally and over --ssh: diagnosed, fixed, verified, and nothing in the paths ran', async () => {
    const backendPort = await freePort();
    own(await startTcpBackend('127.0.0.1', backendPort));
    const site = await hostileNginx(backendPort);
    const url = `http://127.0.0.1:${site.port}/`;
    const cwd = mkdtempSync(join(tmpdir(), 'bgw-cwd-'));
    later(() => rmSync(cwd, { recursive: true, force: true }));
    const places = [join(cwd, 'x'), '/root/x', '/x', join(site.prefix, 'x')];
    const ranNothing = () => expect(places.filter((p) => existsSync(p))).toEqual([]);
    ranNothing();

    const local = await applyFix(url, stateDir(later), { wrap: (argv) => ['env', '-C', cwd, ...argv] });
    expect(local.report.diagnosis.cause, local.stderr).toBe('wrong-port');
    expect(local.report.fix, local.stderr).toMatchObject({ applied: true, verified: true });
    expect(JSON.stringify(local.report.diagnosis.evidence)).toContain(HOSTILE_LOG);
    expect(readFileSync(site.conf, 'utf8')).toBe(site.fixed);
    expect((await answer(url)).status).toBe(200);
    ranNothing();

    // Broken again, then the same over SSH: the box's values travel inside remote command lines now.
    writeFileSync(site.conf, site.text);
    execFileSync('nginx', ['-c', site.conf, '-p', `${site.prefix}/`, '-s', 'reload'], { stdio: 'pipe' });
    for (let i = 0; i < 100 && (await answer(url)).status !== 502; i++) await new Promise((r) => setTimeout(r, 50));
    const remoteState = stateDir(later);
    const remote = await runCli(['--json', '--apply', '--yes', '--ssh', `root@127.0.0.1:${server.port}`, '--url', url], {
      env: { ...client.env, BADGATEWAY_STATE_DIR: remoteState },
      timeoutMs: 120_000,
      wrap: (argv) => ['env', '-C', cwd, ...argv],
    });
    const report = JSON.parse(remote.stdout);
    expect(report.diagnosis.cause, remote.stderr).toBe('wrong-port');
    expect(report.fix, remote.stderr).toMatchObject({ applied: true, verified: true });
    expect(report.hosts[0]).toMatchObject({ label: `root@127.0.0.1:${server.port}` });
    expect(readFileSync(site.conf, 'utf8')).toBe(site.fixed);
    expect((await answer(url)).status).toBe(200);
    ranNothing();

    // badgateway undo over SSH: the journal and the backup are read and restored through the connection.
    const undone = await runCli(['undo', '--ssh', `root@127.0.0.1:${server.port}`], {
      env: { ...client.env, BADGATEWAY_STATE_DIR: remoteState },
      timeoutMs: 60_000,
      wrap: (argv) => ['env', '-C', cwd, ...argv],
    });
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
    expect(undone.stdout).toContain(`on root@127.0.0.1:${server.port}: wrong-port`);
    expect(readFileSync(site.conf, 'utf8')).toBe(site.text);
    expect((await answer(url)).status).toBe(502);
    ranNothing();
    noCanary();
  }, 150_000);
});
