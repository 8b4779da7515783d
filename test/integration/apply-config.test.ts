import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, applyFix, changesOf, journalOf, stateDir } from './lab/apply.js';
import { startTcpBackend } from './lab/backend.js';
import { makeCerts } from './lab/certs.js';
import { keepaliveRace, startTlsServer } from './lab/closing-backend.js';
import type { Nginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { start } from './lab/processes.js';
import { labScope } from './lab/scope.js';
import { startTlsBackend } from './lab/tls-backend.js';

const { later, nginx, own, scratchDir } = labScope();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Applies the fix with --apply --yes and checks the safe way was taken: the config backed up byte for
 * byte, changed, reloaded with proof of new workers, the request verified, the journal written. Then
 * the request really answers 200.
 */
async function applyAndCheck(site: Nginx, url: string, cause: string) {
  const state = stateDir(later);
  const before = readFileSync(site.confFile, 'utf8');
  const { report, code, stderr } = await applyFix(url, state);
  expect(report.diagnosis.cause, stderr).toBe(cause);
  expect(report.fix, stderr).toMatchObject({ applied: true, verified: true, rolledBack: false, failure: null });
  expect(code).toBe(0);
  const [edit] = changesOf(report, 'edit');
  expect(edit).toMatchObject({ file: site.confFile, status: 'applied', program: 'nginx' });
  expect(readFileSync(edit.backup, 'utf8')).toBe(before);
  expect(readFileSync(site.confFile, 'utf8')).not.toBe(before);
  const [reload] = changesOf(report, 'reload');
  expect(reload.status).toBe('ran');
  expect(reload.proof).toMatch(new RegExp(`master ${site.process.pid} started new workers`));
  expect(report.fix.verification).toMatchObject({ ok: true, errorLine: null });
  expect(journalOf(state).map((r) => r.event)).toEqual(['begin', 'applied']);
  // Nothing of badgateway's is left beside the config.
  expect(readFileSync(site.confFile, 'utf8')).not.toContain('badgateway');
  expect((await answer(url)).status).toBe(200);
  return report;
}

describe('--apply --yes: config edits on a real nginx, verified by a request through it', () => {
  it('wrong-port: the upstream server line is pointed at the port the backend uses', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'wrong-port');
    expect(readFileSync(site.confFile, 'utf8')).toContain(`upstream app { server 127.0.0.1:${actual}; }`);
  });

  it('bind-address-mismatch: the backend listens on ::1 only', async () => {
    const port = await freePort('::1');
    own(await startTcpBackend('::1', port));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'bind-address-mismatch');
    expect(readFileSync(site.confFile, 'utf8')).toContain(`proxy_pass http://[::1]:${port};`);
  });

  it('read-timeout: proxy_read_timeout raised for this location only', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 2 }));
    const site = await nginx({ server: `location /slow/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/slow/report`, 'read-timeout');
    expect(readFileSync(site.confFile, 'utf8')).toMatch(/proxy_read_timeout \d+s;/);
    expect(readFileSync(site.confFile, 'utf8')).not.toContain('proxy_read_timeout 1s;');
  });

  it('header-too-big: the header buffers grow in this location, on lines of their own', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'bigheader', bytes: 10_000 }));
    const site = await nginx({ server: `location /big/ { proxy_pass http://127.0.0.1:${port}; }` });
    const report = await applyAndCheck(site, `http://127.0.0.1:${site.port}/big/page`, 'header-too-big');
    expect(changesOf(report, 'edit')[0].diff.join('\n')).toMatch(/^\+\s+proxy_buffer_size 16k;$/m);
    expect(readFileSync(site.confFile, 'utf8')).toMatch(/location \/big\/ \{\n\s+proxy_buffer_size 16k;/);
  });

  it('worker-limits: worker_connections raised, and a reload is enough', async () => {
    const slow = await freePort();
    const fast = await freePort();
    own(await startTcpBackend('127.0.0.1', slow, { mode: 'slow', seconds: 30 }));
    own(await startTcpBackend('127.0.0.1', fast));
    const site = await nginx({ events: 'worker_connections 4;', server: `location /hold { proxy_pass http://127.0.0.1:${slow}; } location / { proxy_pass http://127.0.0.1:${fast}; }` });
    // One slow request fills the only worker's connections (client, backend, listener).
    own(start('curl', ['-sS', '-o', '/dev/null', '--max-time', '35', `http://127.0.0.1:${site.port}/hold`]));
    await sleep(400);
    const report = await applyAndCheck(site, `http://127.0.0.1:${site.port}/busy`, 'worker-limits');
    expect(readFileSync(site.confFile, 'utf8')).toContain('worker_connections 1024;');
    // The held request keeps the old worker alive ("shutting down"); the new worker has the new limit.
    expect(changesOf(report, 'reload')[0].proof).toMatch(/the old ones \(\d+\) finish/);
  });

  it('worker-limits: worker_rlimit_nofile too small (Too many open files); the new workers take the new limit on reload', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port));
    const server = `location / { proxy_pass http://127.0.0.1:${port}; }`;
    // As many files as an idle worker holds already: a client still fits, a socket to the backend does not.
    const probe = await nginx({ server });
    const worker = execFileSync('ps', ['-o', 'pid=', '--ppid', String(probe.process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]
      ?.trim();
    const limit = readdirSync(`/proc/${worker}/fd`).length;
    await probe.stop();
    const site = await nginx({ main: `worker_rlimit_nofile ${limit};`, server });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/files`, 'worker-limits');
    expect(readFileSync(site.confFile, 'utf8')).toContain('worker_rlimit_nofile 1024;');
  });

  it('protocol-mismatch: proxy_pass http:// to a backend that speaks only HTTPS', async () => {
    const port = await freePort();
    own(await startTlsServer(scratchDir(), port, 'app.internal'));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'protocol-mismatch');
    expect(readFileSync(site.confFile, 'utf8')).toContain(`proxy_pass https://127.0.0.1:${port};`);
  });

  it('protocol-mismatch: https:// to a plain HTTP backend', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port));
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; }` });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'protocol-mismatch');
    expect(readFileSync(site.confFile, 'utf8')).toContain(`proxy_pass http://127.0.0.1:${port};`);
  });

  it('upstream-tls: the backend needs SNI; proxy_ssl_server_name on is added', async () => {
    const c = makeCerts(['backend.test']);
    later(() => c.remove());
    const port = await freePort();
    own(await startTlsBackend('127.0.0.1', port, { ...c.leaf, sni: 'backend.test' }));
    const site = await nginx({ http: `upstream backend.test { server 127.0.0.1:${port}; }`, server: 'location / { proxy_pass https://backend.test; }' });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'upstream-tls');
    expect(readFileSync(site.confFile, 'utf8')).toContain('proxy_ssl_server_name on;');
  });

  it('upstream-tls: the certificate is for another name than proxy_ssl_name', async () => {
    const c = makeCerts(['backend.test']);
    later(() => c.remove());
    const port = await freePort();
    own(await startTlsBackend('127.0.0.1', port, c.leaf));
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; proxy_ssl_verify on; proxy_ssl_trusted_certificate ${c.ca}; proxy_ssl_name other.test; }` });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'upstream-tls');
    expect(readFileSync(site.confFile, 'utf8')).toContain('proxy_ssl_name backend.test;');
  });

  it('upstream-tls: the backend speaks TLS 1.3 only', async () => {
    const c = makeCerts(['backend.test']);
    later(() => c.remove());
    const port = await freePort();
    own(await startTlsBackend('127.0.0.1', port, { ...c.leaf, tls13Only: true }));
    const site = await nginx({ server: `location / { proxy_pass https://127.0.0.1:${port}; }` });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'upstream-tls');
    expect(readFileSync(site.confFile, 'utf8')).toContain('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
  });

  it("upstream-keepalive: keepalive_timeout below the backend's idle timeout; POSTs on reused connections work after", async () => {
    const { site, url, raceTwice } = await keepaliveRace(nginx, own, freePort);
    expect(await raceTwice()).toEqual([200, 502]);
    await applyAndCheck(site, url, 'upstream-keepalive');
    expect(readFileSync(site.confFile, 'utf8')).toMatch(/keepalive 4;\n\s+keepalive_timeout [1-9]00ms;/);
    // The replay is a GET, which nginx retries by itself: the POSTs prove the race is gone.
    expect(await raceTwice()).toEqual([200, 200]);
  });

  it('no-live-upstreams: the only server of the group is marked down; the edit brings it back', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port));
    const site = await nginx({ http: `upstream pool { server 127.0.0.1:${port} down; }`, server: 'location / { proxy_pass http://pool; }' });
    await applyAndCheck(site, `http://127.0.0.1:${site.port}/`, 'no-live-upstreams');
    expect(readFileSync(site.confFile, 'utf8')).toContain(`upstream pool { server 127.0.0.1:${port}; }`);
  });

  it('an included file reached through a symlink (sites-enabled -> sites-available): the real file changes, the link stays', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const dir = scratchDir('bgw-sites-');
    mkdirSync(join(dir, 'sites-available'));
    mkdirSync(join(dir, 'sites-enabled'));
    writeFileSync(join(dir, 'sites-available', 'app'), `upstream app {\n    server 127.0.0.1:${dialled};\n}\n`);
    symlinkSync(join(dir, 'sites-available', 'app'), join(dir, 'sites-enabled', 'app'));
    const site = await nginx({ http: `include ${dir}/sites-enabled/*;`, server: 'location / { proxy_pass http://app; }' });
    const state = stateDir(later);
    const { report, stderr } = await applyFix(`http://127.0.0.1:${site.port}/`, state);
    expect(report.diagnosis.cause, stderr).toBe('wrong-port');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true });
    const [edit] = changesOf(report, 'edit');
    expect(edit).toMatchObject({
      file: join(dir, 'sites-enabled', 'app'),
      path: join(dir, 'sites-available', 'app'),
      backup: `${state}/backups/${report.fix.applyId}${join(dir, 'sites-available', 'app')}`,
    });
    expect(lstatSync(join(dir, 'sites-enabled', 'app')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'sites-available', 'app'), 'utf8')).toBe(`upstream app {\n    server 127.0.0.1:${actual};\n}\n`);
    expect(readdirSync(join(dir, 'sites-enabled'))).toEqual(['app']);
    expect(readdirSync(join(dir, 'sites-available'))).toEqual(['app']);
    expect((await answer(`http://127.0.0.1:${site.port}/`)).status).toBe(200);
  });

  it("badgateway's folder on another file system: the new version is written beside the file under a dot-name no include loads", async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const dir = scratchDir('bgw-sites-');
    mkdirSync(join(dir, 'sites-enabled'));
    writeFileSync(join(dir, 'sites-enabled', 'app'), `upstream app { server 127.0.0.1:${dialled}; }\n`);
    const site = await nginx({ http: `include ${dir}/sites-enabled/*;`, server: 'location / { proxy_pass http://app; }' });
    // /dev/shm is a tmpfs: a rename from there into /tmp would not be atomic.
    const state = mkdtempSync('/dev/shm/bgw-state-');
    later(() => rmSync(state, { recursive: true, force: true }));
    const { report, stderr } = await applyFix(`http://127.0.0.1:${site.port}/`, state);
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: true });
    expect(report.fix.journal).toBe(`${state}/journal.jsonl`);
    expect(stderr).toContain(`the new version of ${dir}/sites-enabled/app is at ${dir}/sites-enabled/.app.badgateway-${report.fix.applyId}`);
    expect(readFileSync(join(dir, 'sites-enabled', 'app'), 'utf8')).toBe(`upstream app { server 127.0.0.1:${actual}; }\n`);
    expect(readdirSync(join(dir, 'sites-enabled'))).toEqual(['app']);
    expect((await answer(`http://127.0.0.1:${site.port}/`)).status).toBe(200);
  });

  it('the backup and journal stay; nothing is written inside the config folder', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${dialled}; }` });
    const state = stateDir(later);
    const { report } = await applyFix(`http://127.0.0.1:${site.port}/`, state);
    expect(report.fix.verified).toBe(true);
    const [edit] = changesOf(report, 'edit');
    expect(edit.backup.startsWith(`${state}/backups/`)).toBe(true);
    expect(existsSync(edit.backup)).toBe(true);
    const [record] = journalOf(state).slice(-1);
    expect(record).toMatchObject({ event: 'applied', cause: 'wrong-port', verified: true });
    expect(record.changes[0]).toMatchObject({ kind: 'edit', backup: edit.backup, path: site.confFile });
    // The staging folder of this apply is gone; the config folder holds only the config.
    expect(readdirSync(`${state}/staging`)).toEqual([]);
    expect(readdirSync(dirname(site.confFile))).toEqual(['nginx.conf']);
    expect(readFileSync(site.confFile, 'utf8')).toContain(`127.0.0.1:${actual}`);
  });
});
