import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, applyFix, changesOf, journalOf, stateDir, undo } from './lab/apply.js';
import { startTcpBackend } from './lab/backend.js';
import { runCli } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';
import { undoLast } from '../../src/fixes/apply/undo.js';
import { LocalHost } from '../../src/hosts/local.js';
import { RecordingHost } from '../../src/hosts/recording-host.js';
import { isConfigRead } from '../../src/system/config-read.js';

const { later, nginx, phpFpm, own, scratchDir } = labScope();

function fastcgi(address: string, docroot: string): string {
  return `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${docroot}/index.php; fastcgi_pass ${address}; }`;
}

describe('--apply --yes never leaves the box worse than it was', () => {
  it('a fix that does not help is rolled back: the same config bytes, the same answer, and the new finding is reported', async () => {
    // nginx dials an old socket path; php-fpm makes its socket elsewhere, root's and 0660, so nginx's
    // workers (nobody) still cannot open it once nginx dials the right path.
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock') });
    const site = await nginx({ user: 'nobody nogroup', server: fastcgi(`unix:${join(dir, 'old-app.sock')}`, fpm.docroot) });
    const url = `http://127.0.0.1:${site.port}/`;
    const config = readFileSync(site.confFile, 'utf8');
    const before = await answer(url);
    expect(before.status).toBe(502);
    const state = stateDir(later);

    const { report, code, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('socket-missing');
    expect(report.fix, stderr).toMatchObject({ applied: true, verified: false, rolledBack: true });
    expect(code).toBe(1);
    expect(report.fix.failure).toMatch(/the request still fails: nginx answered 502 .*13: Permission denied/);
    // What changed and continuing from there: with the change in place the diagnosis finds the next cause.
    expect(report.fix.after).toMatchObject({ cause: 'socket-permission' });
    expect(report.fix.after.steps[0].node).toBe('read-config');
    expect(report.fix.verification).toMatchObject({ ok: false, status: 502 });
    expect(report.fix.rollback.join('\n')).toContain(`restored ${site.confFile} from `);
    expect(report.fix.rollback.join('\n')).toMatch(/reloaded nginx .*started new workers/);
    expect(changesOf(report, 'edit')[0].status).toBe('restored');
    expect(journalOf(state).map((r) => r.event)).toEqual(['begin', 'rolled-back']);

    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    expect(await answer(url)).toEqual(before);
    expect(readdirSync(dirname(site.confFile))).toEqual(['nginx.conf']);
  });

  it('a change nginx -t refuses is never put in place: nothing changes, nothing reloads', async () => {
    // The FastCGI fix includes fastcgi_params relative to the config folder, where this nginx has none.
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}` });
    const site = await nginx({ server: `root ${fpm.docroot};\n        location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/index.php`;
    const config = readFileSync(site.confFile, 'utf8');
    const state = stateDir(later);
    const { report, code, stderr } = await applyFix(url, state);
    expect(report.diagnosis.cause, stderr).toBe('protocol-mismatch');
    expect(report.fix, stderr).toMatchObject({ applied: false, verified: false, rolledBack: false });
    expect(code).toBe(1);
    expect(report.fix.failure).toMatch(/validation failed: the test fails with the change: .*fastcgi_params/);
    expect(changesOf(report, 'reload')).toEqual([]);
    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    expect(readdirSync(dirname(site.confFile))).toEqual(['nginx.conf']);
    expect(journalOf(state).map((r) => r.event)).toEqual(['begin', 'failed']);
    expect(stderr).toContain('validate FAILED');
  });

  it('badgateway undo restores the config from its backup, tests it, reloads with proof, and says so', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const config = readFileSync(site.confFile, 'utf8');
    const state = stateDir(later);
    const { report } = await applyFix(url, state);
    expect(report.fix.verified).toBe(true);
    expect((await answer(url)).status).toBe(200);

    const undone = await undo(state, { json: true });
    expect(undone.code, undone.stderr).toBe(0);
    const outcome = JSON.parse(undone.stdout);
    expect(outcome).toMatchObject({ undone: true, fix: { id: report.fix.applyId, cause: 'wrong-port' } });
    expect(outcome.lines.join('\n')).toMatch(/restored .*nginx\.conf from .*\n.*reloaded nginx/);
    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    expect((await answer(url)).status).toBe(502);
    // Nothing left to undo.
    const again = await undo(state);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('Nothing to undo.');
  });

  it('undo reads the running config as the diagnosis does, from the files nginx loaded, without nginx -T', async () => {
    const dialled = await freePort();
    own(await startTcpBackend('127.0.0.1', await freePort()));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const config = readFileSync(site.confFile, 'utf8');
    const state = stateDir(later);
    expect((await applyFix(url, state)).report.fix.verified).toBe(true);

    const host = new RecordingHost(new LocalHost(), () => 0);
    const outcome = await undoLast(host, { stateDir: state });
    expect(outcome.undone, outcome.problems.join('\n')).toBe(true);
    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    const asked = host.log.map((e) => e.spec.argv);
    expect(asked.filter((argv) => isConfigRead(argv))).toHaveLength(1);
    expect(asked.filter((argv) => argv.at(-1) === '-T')).toEqual([]);
  });

  it('--apply alone is a usage error that asks for --yes; --apply without --json too', async () => {
    const alone = await runCli(['--json', '--apply', '--url', 'http://127.0.0.1:1/']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--yes');
    const wizard = await runCli(['--apply', '--yes']);
    expect(wizard.code).toBe(2);
    expect(wizard.stderr).toContain('the wizard shows the fix and asks');
  });
});
