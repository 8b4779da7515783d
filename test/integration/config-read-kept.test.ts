import { mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResult } from '../../src/hosts/host.js';
import { KeptReadHost } from '../../src/hosts/kept-read-host.js';
import { LocalHost } from '../../src/hosts/local.js';
import { keptReadFile, keptReadText } from '../../src/modes/kept-read-file.js';
import { NGINX_PROBE, parseProbe } from '../../src/system/nginx-probe.js';
import { runCli } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { start, waitForPort } from './lab/processes.js';
import { labScope } from './lab/scope.js';
import { sshClient } from './lab/ssh-client.js';
import { startSshd } from './lab/sshd.js';

const lab = labScope();
const local = new LocalHost();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The nginx of the running case: the probe reads only a box with one master, so each case stops its own. */
let running: { stop: () => Promise<void> } | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

/** Debian's layout in small: a main file, conf.d/*.conf, sites-enabled/* symlinked, a snippet every site includes. */
async function box(): Promise<{ dir: string; port: number; pid: number; stop: () => Promise<void> }> {
  const dir = lab.scratchDir('bgw-kept-');
  const [port, dead] = [await freePort(), await freePort()];
  const files: Record<string, string> = {
    'nginx.conf': `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents { worker_connections 64; }\nhttp {\n    access_log off;\n    client_body_temp_path ${dir}/t-body;\n    proxy_temp_path ${dir}/t-proxy;\n    fastcgi_temp_path ${dir}/t-fcgi;\n    uwsgi_temp_path ${dir}/t-uwsgi;\n    scgi_temp_path ${dir}/t-scgi;\n    include conf.d/*.conf;\n    include sites-enabled/*;\n}\n`,
    'conf.d/timeouts.conf': 'proxy_connect_timeout 5s;\n',
    'snippets/proxy.conf': 'proxy_set_header Host $host;\n',
    'sites-available/a.conf': `server {\n    listen 127.0.0.1:${port} default_server;\n    server_name a.test;\n    location / {\n        include snippets/proxy.conf;\n        proxy_pass http://127.0.0.1:${dead};\n    }\n}\n`,
    'sites-available/b.conf': `server {\n    listen 127.0.0.1:${port};\n    server_name b.test;\n    location / { proxy_pass http://127.0.0.1:${dead}; }\n}\n`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, 'sites-enabled'));
  mkdirSync(join(dir, 'logs'));
  symlinkSync('../sites-available/a.conf', join(dir, 'sites-enabled', 'a.conf'));
  symlinkSync('../sites-available/b.conf', join(dir, 'sites-enabled', 'b.conf'));
  // The reader trusts files that changed before nginx's workers started (with 50 ms to spare).
  await sleep(120);
  const nginx = start('nginx', ['-p', `${dir}/`, '-c', 'nginx.conf', '-g', 'daemon off;']);
  running = nginx;
  await waitForPort('127.0.0.1', port, 'nginx');
  // The master listens before its worker starts; the reader needs the worker's start (the load time).
  for (let i = 0; i < 50 && !parseProbe(await local.run(NGINX_PROBE))[0]?.readDone; i++) await sleep(50);
  return { dir, port, pid: nginx.pid, stop: () => nginx.stop() };
}

/** The reader prints the load time it worked out from /proc, to the millisecond: it moves between any two runs. */
const steady = (r: CommandResult) => r.stdout.replace(/^loaded\t[0-9.]+$/m, 'loaded\tT');

/** One run's login probe through a kept read in `state`: the answer, and whether the kept read stood. */
async function probe(state: string): Promise<{ result: CommandResult; hit: boolean | null }> {
  const host = KeptReadHost.prepare(keptReadFile('proxy local', state)).wrap(local);
  const result = await host.run(NGINX_PROBE);
  return { result, hit: host.hit };
}

/** A kept read made (first run) and standing (second run), as the start of each case. */
async function warmed(): Promise<{ dir: string; port: number; pid: number; stop: () => Promise<void>; state: string }> {
  const b = await box();
  const state = lab.scratchDir('bgw-kept-state-');
  const cold = await probe(state);
  expect(cold.hit).toBe(false);
  const again = await probe(state);
  expect(again.hit).toBe(true);
  expect(steady(again.result)).toBe(steady(await local.run(NGINX_PROBE)));
  return { ...b, state };
}

/** After a change, the kept read does not stand, and the answer is the plain probe's (read again, or handed to nginx -T). */
async function fallsBack(state: string): Promise<CommandResult> {
  const { result, hit } = await probe(state);
  expect(hit).toBe(false);
  expect(steady(result)).toBe(steady(await local.run(NGINX_PROBE)));
  return result;
}

const readOf = (result: CommandResult) => parseProbe(result)[0]!;

describe('the config read kept between runs (a real nginx)', () => {
  /** badgateway --json twice (env: how it reaches the box); the second run takes the kept read: the file is not rewritten. */
  async function sameReportTwice(url: string, extra: string[], env: NodeJS.ProcessEnv): Promise<void> {
    const state = lab.scratchDir('bgw-kept-state-');
    const report = async () => {
      const out = await runCli(['--json', '--url', url, ...extra], { env: { ...env, BADGATEWAY_STATE_DIR: state }, timeoutMs: 60_000 });
      const parsed = JSON.parse(out.stdout);
      // What moves between any two runs: times, and the error log's offset, request number and time (it grew).
      const evidence = JSON.stringify(parsed.diagnosis?.evidence ?? [])
        .replace(/\d+(\.\d+)? ?ms\b/g, 'N ms')
        .replace(/tail -c \+\d+/g, 'tail -c +N')
        .replace(/\*\d+ connect/g, '*N connect')
        .replace(/\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d/g, 'DATE');
      return { cause: parsed.diagnosis?.cause, evidence };
    };
    const first = await report();
    expect(first.cause).toBe('backend-down');
    expect(first.evidence).toContain('read from the files nginx loaded');
    // The read, and the digest of its servers the second run makes its vhosts from (server-digest.ts).
    const files = readdirSync(state).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^config-read-[0-9a-f]{32}\.digest$/);
    const kept = statSync(join(state, files[1]!));
    const digest = statSync(join(state, files[0]!));
    expect(await report()).toEqual(first);
    // A kept read that stands is not written again (a fresh read is: a new file renamed over the old one), nor its digest.
    const after = statSync(join(state, files[1]!));
    expect([after.ino, after.mtimeMs]).toEqual([kept.ino, kept.mtimeMs]);
    expect(statSync(join(state, files[0]!)).mtimeMs).toBe(digest.mtimeMs);
  }

  it('a kept read gives the same report as reading the files', async () => {
    const b = await box();
    await sameReportTwice(`http://127.0.0.1:${b.port}/`, [], process.env);
  });

  it('over SSH, the login carries the check: the same report from a kept read', async () => {
    const server = await startSshd();
    const client = sshClient();
    try {
      server.authorize('root', client.key.publicKey);
      client.trust(server);
      const b = await box();
      await sameReportTwice(`http://127.0.0.1:${b.port}/`, ['--ssh', `root@127.0.0.1:${server.port}`], client.env);
    } finally {
      await server.stop();
      server.remove();
      client.remove();
    }
  });

  it('a changed file is read again (and handed to nginx -T, since nginx did not load it)', async () => {
    const b = await warmed();
    writeFileSync(join(b.dir, 'sites-available', 'b.conf'), `server {\n    listen 127.0.0.1:${b.port};\n    server_name b2.test;\n}\n`);
    expect(readOf(await fallsBack(b.state)).readDone).toBe(false);
  });

  it('a changed file outside the globbed folders is read again', async () => {
    const b = await warmed();
    writeFileSync(join(b.dir, 'snippets', 'proxy.conf'), 'proxy_set_header Host $http_host;\n');
    expect(readOf(await fallsBack(b.state)).readDone).toBe(false);
  });

  it('the box is sent the globbed folders, not each file in them: it lists their entries itself', async () => {
    const b = await warmed();
    const { names } = keptReadFile('proxy local', b.state).load()!;
    const [asked, folders] = names.split('\n\n');
    expect(asked!.split('\n').sort()).toEqual([join(b.dir, 'conf.d'), join(b.dir, 'nginx.conf'), join(b.dir, 'sites-enabled'), join(b.dir, 'snippets', 'proxy.conf')]);
    expect(folders).toBe(`${join(b.dir, 'conf.d')}\n${join(b.dir, 'sites-enabled')}\n`);
  });

  it('a new file in an included folder is read again', async () => {
    const b = await warmed();
    writeFileSync(join(b.dir, 'sites-available', 'c.conf'), `server {\n    listen 127.0.0.1:${b.port};\n    server_name c.test;\n}\n`);
    symlinkSync('../sites-available/c.conf', join(b.dir, 'sites-enabled', 'c.conf'));
    expect(readOf(await fallsBack(b.state)).readDone).toBe(false);
  });

  it('a link pointed at another file nginx loaded is read again (its folder changed, not the file it now names)', async () => {
    const b = await warmed();
    const link = join(b.dir, 'sites-enabled', 'a.conf');
    symlinkSync('../sites-available/b.conf', `${link}.new`);
    renameSync(`${link}.new`, link);
    expect(readOf(await fallsBack(b.state)).readDone).toBe(false);
  });

  it('a removed file is read again', async () => {
    const b = await warmed();
    rmSync(join(b.dir, 'sites-enabled', 'b.conf'));
    expect(readOf(await fallsBack(b.state)).readDone).toBe(false);
  });

  it('a reloaded nginx is read again, and that read is kept in turn', async () => {
    const b = await warmed();
    // Touched without a change, then reloaded: the files are the same, but it is another load.
    const now = new Date();
    utimesSync(join(b.dir, 'conf.d', 'timeouts.conf'), now, now);
    await sleep(100);
    process.kill(b.pid, 'SIGHUP');
    let read: CommandResult | null = null;
    for (let i = 0; i < 50 && !read; i++) {
      await sleep(100);
      const { result, hit } = await probe(lab.scratchDir('bgw-kept-none-'));
      if (hit === false && readOf(result)?.readDone) read = result;
    }
    expect(read).not.toBeNull();
    const after = await fallsBack(b.state);
    expect(readOf(after).readDone).toBe(true);
    expect((await probe(b.state)).hit).toBe(true);
  });

  it('a corrupt kept read is not trusted: the files are read again', async () => {
    const b = await warmed();
    const file = keptReadFile('proxy local', b.state).file;
    writeFileSync(file, '{"v":1,"reader":');
    expect(readOf(await fallsBack(b.state)).readDone).toBe(true);
    writeFileSync(file, keptReadText({ v: 1, reader: keptReadFile('proxy local', b.state).reader, key: 'x', names: 'relative\n\nrelative\n', out: '', err: '' }));
    expect(readOf(await fallsBack(b.state)).readDone).toBe(true);
  });
});
