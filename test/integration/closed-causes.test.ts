import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from './lab/badgateway.js';
import { applyEdit, keepaliveRace, startClosingBackend, startTlsServer } from './lab/closing-backend.js';
import type { Nginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { nginx, phpFpm, own, scratchDir } = labScope();

const reloadWith = (site: Nginx): [string[], number] => [['-c', site.confFile, '-p', `${site.prefix}/`], site.process.pid];
const nodes = (report: any) => report.steps.map((s: { node: string; outcome: string }) => `${s.node}:${s.outcome}`);

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

describe('protocol-mismatch: nginx and the backend speak different protocols', () => {
  it('proxy_pass http:// to a backend that speaks only HTTPS', async () => {
    const port = await freePort();
    own(await startTlsServer(scratchDir(), port, 'app.internal'));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(nodes(report)).toContain('closed-protocol:speaks-https');
    expect(report.diagnosis.explanation).toContain('TLS handshake');
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: site.confFile, line: expect.any(Number), before: `proxy_pass http://127.0.0.1:${port};`, after: `proxy_pass https://127.0.0.1:${port};` }),
    ]);
    expect(report.fix.commands.at(-1)).toContain('-s reload');
    expect(await walkWizard(url)).toContain('Cause: protocol-mismatch');
    // The edit as planned, applied by hand, makes the request work.
    await applyEdit(report.fix.edits[0], ...reloadWith(site));
    expect((await get(url)).status).toBe(200);
  });

  it('proxy_pass at php-fpm, which speaks FastCGI (TCP)', async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}` });
    const site = await nginx({ server: `root ${fpm.docroot};\n        location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/index.php`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(nodes(report)).toContain('closed-protocol:speaks-fastcgi');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('104: Connection reset by peer');
    const [edit] = report.fix.edits;
    expect(edit).toMatchObject({ file: site.confFile, before: `proxy_pass http://127.0.0.1:${port};` });
    expect(edit.after.split('\n').map((l: string) => l.trim())).toEqual([
      `fastcgi_pass 127.0.0.1:${port};`,
      'include fastcgi_params;',
      'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;',
    ]);
    expect(await walkWizard(url)).toContain('Cause: protocol-mismatch');
    // On Debian fastcgi_params sits next to nginx.conf; this nginx's config folder gets the same file.
    copyFileSync('/etc/nginx/fastcgi_params', join(site.prefix, 'conf', 'fastcgi_params'));
    await applyEdit(edit, ...reloadWith(site));
    expect(await get(url)).toEqual({ status: 200, body: 'hello from php\n' });
  });

  it('proxy_pass at php-fpm on a unix socket: told by the process that holds it', async () => {
    const dir = scratchDir();
    const socket = join(dir, 'php.sock');
    await phpFpm({ listen: socket, pool: 'listen.mode = 0666' });
    const site = await nginx({ server: `location / { proxy_pass http://unix:${socket}; }` });
    const url = `http://127.0.0.1:${site.port}/index.php`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(report.diagnosis.explanation).toMatch(/php-fpm8\.2 listens there/);
    expect(report.fix.edits[0]).toMatchObject({ before: `proxy_pass http://unix:${socket};` });
    expect(report.fix.edits[0].after).toContain(`fastcgi_pass unix:${socket};`);
    expect(await walkWizard(url)).toContain('Cause: protocol-mismatch');
  });

  it('fastcgi_pass at an HTTP server: "unsupported FastCGI protocol version: 72"', async () => {
    const backend = await nginx({ server: 'location / { return 200 "hello from the http backend\\n"; }' });
    const site = await nginx({ server: `location / { fastcgi_pass 127.0.0.1:${backend.port}; include /etc/nginx/fastcgi_params; }` });
    const url = `http://127.0.0.1:${site.port}/app`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(nodes(report)).toEqual(expect.arrayContaining(['error-log:wrong-protocol', 'wrong-protocol-probe:speaks-http']));
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('unsupported FastCGI protocol version: 72');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `fastcgi_pass 127.0.0.1:${backend.port};`, after: `proxy_pass http://127.0.0.1:${backend.port};` })]);
    expect(await walkWizard(url)).toContain('Cause: protocol-mismatch');
    await applyEdit(report.fix.edits[0], ...reloadWith(site));
    expect(await get(url)).toEqual({ status: 200, body: 'hello from the http backend\n' });
  });

  it('grpc_pass at an HTTP/1 server: "upstream sent too large http2 frame" is a protocol mix-up, not a bad header', async () => {
    const backend = await nginx({ server: 'location / { return 200 "hello from the http backend\\n"; }' });
    const site = await nginx({ server: `location / { grpc_pass grpc://127.0.0.1:${backend.port}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(nodes(report)).toEqual(expect.arrayContaining(['error-log:wrong-protocol', 'wrong-protocol-probe:speaks-http']));
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('upstream sent too large http2 frame');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `grpc_pass grpc://127.0.0.1:${backend.port};`, after: `proxy_pass http://127.0.0.1:${backend.port};` })]);
    await applyEdit(report.fix.edits[0], ...reloadWith(site));
    expect(await get(url)).toEqual({ status: 200, body: 'hello from the http backend\n' });
  });

  it('proxy_pass at a program that does not speak HTTP: "no valid HTTP/1.0 header"', async () => {
    const port = await freePort();
    own(await startClosingBackend('127.0.0.1', port, { mode: 'banner' }));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('protocol-mismatch');
    expect(nodes(report)).toContain('wrong-protocol-probe:speaks-other');
    expect(report.diagnosis.explanation).toContain('SSH-2.0-OpenSSH');
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.notes.join('\n')).toContain('no web backend');
    expect(await walkWizard(url)).toContain('Cause: protocol-mismatch');
  });
});

describe('upstream-keepalive: the backend closes idle keep-alive connections first', () => {
  it('a POST on a reused connection the backend is closing fails; keepalive_timeout below the backend fixes it', async () => {
    // Two POSTs 0.7 s apart: nginx reuses the idle connection, which the backend drops unanswered.
    // nginx does not send a POST again, so the client sees the 502 and the log keeps the line.
    const { site, url, raceTwice } = await keepaliveRace(nginx, own, freePort);
    expect(await raceTwice()).toEqual([200, 502]);

    // Our replay is a GET, which nginx retries by itself: the POST's line, read from the log, decides.
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('upstream-keepalive');
    expect(nodes(report)).toEqual(expect.arrayContaining(['error-log:closed', 'closed-protocol:matches', 'closed-keepalive:backend-closes-first']));
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('POST /api/orders');
    expect(report.diagnosis.explanation).toMatch(/after about \d+ ms/);
    const [edit] = report.fix.edits;
    expect(edit).toMatchObject({ file: site.confFile, before: 'keepalive 4;' });
    expect(edit.after).toMatch(/^keepalive 4;\n\s+keepalive_timeout [1-9]00ms;$/);
    expect(await walkWizard(url)).toContain('Cause: upstream-keepalive');

    await applyEdit(edit, ...reloadWith(site));
    expect(await raceTwice()).toEqual([200, 200]);
  });

  it('a backend that never closes idle connections but drops one used after 2 s idle: found by using connections again', async () => {
    // Two POSTs 2.5 s apart: nginx reuses the connection, the backend notices it is stale only now and drops
    // the request; the connection was never closed, so waiting for a close finds nothing.
    const { site, url, raceTwice } = await keepaliveRace(nginx, own, freePort, { mode: 'keepalive-lazy', idleSeconds: 2, gapMs: 2500 });
    expect(await raceTwice()).toEqual([200, 502]);

    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('upstream-keepalive');
    expect(nodes(report)).toContain('closed-keepalive:backend-closes-first');
    expect(report.diagnosis.explanation).toMatch(/never closes an idle connection by itself, but drops one unanswered when it is used again after \d+ ms idle/);
    const [edit] = report.fix.edits;
    expect(edit).toMatchObject({ file: site.confFile, before: 'keepalive 4;' });
    expect(edit.after).toMatch(/^keepalive 4;\n\s+keepalive_timeout 1s;$/);

    await applyEdit(edit, ...reloadWith(site));
    expect(await raceTwice()).toEqual([200, 200]);
  }, 90_000);
});

describe('backend-crashed: the backend accepted and then died', () => {
  it('a php-fpm worker killed mid-request (SIGKILL), named by php-fpm log', async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, scripts: { 'index.php': '<?php echo "hello from php\\n";', 'die.php': '<?php posix_kill(getmypid(), 9); echo "not reached\\n";' } });
    const site = await nginx({
      server: `root ${fpm.docroot};\n        location ~ \\.php$ { fastcgi_pass 127.0.0.1:${port}; include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; }`,
    });
    const url = `http://127.0.0.1:${site.port}/die.php`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('backend-crashed');
    expect(nodes(report)).toEqual(expect.arrayContaining(['error-log:closed', 'closed-protocol:matches', 'closed-keepalive:no-keepalive', 'closed-crash:crashed']));
    expect(report.diagnosis.explanation).toMatch(/child \d+ exited on signal 9 \(SIGKILL\)/);
    expect(report.fix.commands).toContain(`tail -n 200 -- ${fpm.logFile}`);
    expect(report.fix.notes.join('\n')).toMatch(/Restarting the backend is not the fix/);
    expect(report.fix.notes.join('\n')).toMatch(/out-of-memory killer/);
    expect(report.fix.caution).toMatch(/restart/i);
    expect(await walkWizard(url)).toContain('Cause: backend-crashed');
  });

  it('a python worker that dies of a segmentation fault mid-request, restarted by its supervisor', async () => {
    const port = await freePort();
    const logFile = join(scratchDir(), 'app.log');
    own(await startClosingBackend('127.0.0.1', port, { mode: 'crash', logFile }));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/crash/report`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('backend-crashed');
    expect(nodes(report)).toContain('closed-crash:crashed');
    expect(report.diagnosis.explanation).toMatch(/died on signal 11 \(SIGSEGV\)/);
    const crashEvidence = JSON.stringify(report.diagnosis.evidence.filter((e: { node: string }) => e.node === 'closed-crash'));
    expect(crashEvidence).toContain('Fatal Python error: Segmentation fault');
    expect(crashEvidence).toContain('in do_GET');
    expect(report.fix.commands).toContain(`tail -n 200 -- ${logFile}`);
    expect(report.fix.notes.join('\n')).toMatch(/segmentation fault/i);
    expect(await walkWizard(url)).toContain('Cause: backend-crashed');
  });
});

describe('invalid-response: the backend answers with a header line nginx refuses', () => {
  it('a line feed inside a header value: the rest of the value becomes a line without a colon', async () => {
    const port = await freePort();
    own(await startClosingBackend('127.0.0.1', port, { mode: 'badheader' }));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/orders/7`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('invalid-response');
    expect(nodes(report)).toEqual(expect.arrayContaining(['error-log:invalid-header', 'header-protocol:matches', 'response-head:malformed']));
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('upstream sent invalid header');
    expect(report.diagnosis.explanation).toContain('line 4 of the response head, "see the audit log"');
    expect(report.diagnosis.explanation).toContain('bare line feed');
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.notes.join('\n')).toContain('Nothing to change in nginx');
    expect(await walkWizard(url)).toContain('Cause: invalid-response');
  });
});
