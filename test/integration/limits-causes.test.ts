import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startTcpBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { startNginx, type Nginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { start } from './lab/processes.js';
import { walkWizard } from './lab/wizard.js';
import { labScope } from './lab/scope.js';

const { nginx, phpFpm, own } = labScope();

/** nginx -t on the lab's config with the planned edits applied as plain text replacements. */
function passesNginxT(site: Nginx, edits: { file: string; before: string; after: string }[]): boolean {
  let text = execFileSync('cat', [site.confFile], { encoding: 'utf8' });
  for (const edit of edits) text = text.replace(edit.before, edit.after);
  const copy = `${site.prefix}/conf/edited.conf`;
  execFileSync('tee', [copy], { input: text, stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    execFileSync('nginx', ['-t', '-q', '-c', copy, '-p', `${site.prefix}/`], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** How many descriptors an idle worker of this config holds (its listening socket, logs, epoll, channel). */
async function idleWorkerFds(options: Parameters<typeof startNginx>[0]): Promise<number> {
  const probe = await startNginx(options);
  try {
    const worker = execFileSync('ps', ['-o', 'pid=', '--ppid', String(probe.process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]
      ?.trim();
    return execFileSync('ls', ['-1', `/proc/${worker}/fd`], { encoding: 'utf8' })
      .trim()
      .split('\n').length;
  } finally {
    await probe.stop();
    probe.remove();
  }
}

describe('limits: a real nginx runs out of room, diagnosed with badgateway --json', () => {
  it('header-too-big: the backend sends more header than proxy_buffer_size holds', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'bigheader', bytes: 10_000 }));
    const site = await nginx({ server: `location /big/ { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/big/page`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('header-too-big');
    expect(report.steps.map((s: { node: string }) => s.node).slice(-2)).toEqual(['error-log', 'header-size']);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('upstream sent too big header');
    expect(report.diagnosis.explanation).toMatch(/response header for this request is \d{4,5} bytes/);
    // 4k (one page) does not hold ~9 KB: 16k does, and 16k needs explicit busy buffers to pass nginx -t.
    expect(report.fix.edits).toHaveLength(1);
    expect(report.fix.edits[0]).toMatchObject({ file: site.confFile, before: 'location /big/ {' });
    expect(report.fix.edits[0].after).toContain('proxy_buffer_size 16k;');
    expect(report.fix.edits[0].after).toContain('proxy_busy_buffers_size');
    expect(passesNginxT(site, report.fix.edits)).toBe(true);
    expect(await walkWizard(url)).toContain('Cause: header-too-big');
  });

  it('header-too-big is not claimed when the header fits: proxy_buffer_size already holds it', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'bigheader', bytes: 10_000 }));
    const site = await nginx({ server: `location /big/ { proxy_pass http://127.0.0.1:${port}; proxy_buffer_size 16k; proxy_busy_buffers_size 16k; }` });
    const { report, code } = await diagnose(`http://127.0.0.1:${site.port}/big/page`);
    expect(code).toBe(0);
    expect(report.healthy).toBe(true);
  });

  it('read-timeout with php-fpm: fastcgi_read_timeout ends the script before request_terminate_timeout', async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, pool: 'request_terminate_timeout = 5s', scripts: { 'slow.php': '<?php sleep(3); echo "done\\n";' } });
    const site = await nginx({
      server: `location ~ \\.php$ { root ${fpm.docroot}; include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; fastcgi_pass 127.0.0.1:${port}; fastcgi_read_timeout 1s; }`,
    });
    const url = `http://127.0.0.1:${site.port}/slow.php`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('read-timeout');
    // The pool has children to spare (php-fpm wrote no max_children warning), so the script itself is slow.
    expect(report.steps.map((s: { node: string; outcome: string }) => `${s.node}:${s.outcome}`).slice(-4)).toEqual([
      'backend-timing:fastcgi',
      'fpm-saturation:room',
      'fpm-history:slow-endpoint',
      'fastcgi-timeouts:nginx-first',
    ]);
    expect(report.diagnosis.explanation).toContain("nginx gives up after 1s, before php-fpm's request_terminate_timeout (5s)");
    // php-fpm would let the script run 5 s: nginx waits as long, and php-fpm's limit stays the one that ends it.
    expect(report.fix.edits[0]).toMatchObject({ file: site.confFile, before: 'fastcgi_read_timeout 1s;', after: 'fastcgi_read_timeout 5s;' });
    expect(report.fix.caution).toMatch(/hides a slow backend/);
    expect(report.fix.notes.join('\n')).toContain(fpm.poolFile);
    expect(await walkWizard(url)).toContain('Cause: read-timeout');
  });

  it('not this: when request_terminate_timeout is the shorter limit, php-fpm ends the script and nginx logs no timeout', async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, pool: 'request_terminate_timeout = 1s', scripts: { 'slow.php': '<?php sleep(3); echo "done\\n";' } });
    const site = await nginx({
      server: `location ~ \\.php$ { root ${fpm.docroot}; include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; fastcgi_pass 127.0.0.1:${port}; fastcgi_read_timeout 5s; }`,
    });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/slow.php`);
    expect(report.steps.find((s: { node: string }) => s.node === 'error-log').outcome).toBe('closed');
    expect(report.diagnosis.cause).not.toBe('read-timeout');
  });
});

describe('worker limits: nginx out of connections or files', () => {
  it('worker-limits: worker_connections 4 with a request in flight drops the next client', async () => {
    const port = await freePort();
    // The backend holds the first request far longer than the test runs; the cleanup stops it by PID.
    own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 30 }));
    const site = await nginx({ events: 'worker_connections 4;', server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/busy`;
    // One slow request holds a client and a backend connection: with the listening socket that fills the worker.
    own(start('curl', ['-sS', '-o', '/dev/null', '--max-time', '35', `http://127.0.0.1:${site.port}/hold`]));
    await new Promise((r) => setTimeout(r, 400));
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('worker-limits');
    expect(report.steps.at(-1).node).toBe('worker-limits');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('4 worker_connections are not enough');
    expect(report.fix.edits[0]).toMatchObject({ file: site.confFile, before: 'worker_connections 4;', after: 'worker_connections 1024;' });
    expect(await walkWizard(url)).toContain('Cause: worker-limits');
  });

  it('worker-limits: worker_rlimit_nofile too small, socket() fails with Too many open files (the client gets 500)', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port));
    // As many files as an idle worker holds already: a client still fits, a socket to the backend does not.
    const limit = await idleWorkerFds({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const site = await nginx({ main: `worker_rlimit_nofile ${limit};`, server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
    const url = `http://127.0.0.1:${site.port}/files`;
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('worker-limits');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('Too many open files');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('nginx answered 500');
    expect(report.diagnosis.explanation).toContain(`${limit} (soft limit of the running workers)`);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, before: `worker_rlimit_nofile ${limit};`, after: 'worker_rlimit_nofile 1024;' })]);
    expect(await walkWizard(url)).toContain('Cause: worker-limits');
  });
});
