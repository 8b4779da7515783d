import { describe, expect, it } from 'vitest';
import { pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { initScriptApp, keepaliveRace, nginxWorkers, oldWorkersGone, phpFpmKeepConn, phpFpmListening, pm2App, pm2AppKeepalive, postsUntil502 } from './lab/stacks-causes.js';
import type { Stack } from './lab/stacks.js';

// The boxes are removed after the sshd and its client (afterEach hooks run in reverse order of registration).
const { use: box } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;

async function appliedOverSsh(stack: Stack, url: string) {
  const applied = await overSsh(stack, ['--apply', '--yes', '--url', url]);
  expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
}

describe('the plain lab causes on the Node, init-script and php-fpm stacks, over --ssh', () => {
  it('pm2 bind-address-mismatch (HOST=::1 in the ecosystem file): proxy_pass retargeted over SSH, verified', async () => {
    const stack = await box(pm2App({ HOST: '::1' }));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', after: 'proxy_pass http://[::1]:3000;' })]);
    await appliedOverSsh(stack, stack.url);
  });

  it('pm2 header-too-big (40 cookies): the head measured over SSH, proxy_buffer_size sized from it, verified', async () => {
    const stack = await box(pm2App());
    const url = 'http://api.example/cookies';
    const { report } = await overSsh(stack, ['--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: expect.stringContaining('proxy_buffer_size 16k;') })]);
    await appliedOverSsh(stack, url);
  });

  it('pm2 invalid-response (a header line written raw, broken by a line feed): named over SSH', async () => {
    const stack = await box(pm2App());
    const { report } = await overSsh(stack, ['--url', 'http://api.example/legacy']);
    expect(report.diagnosis.cause, path(report)).toBe('invalid-response');
    expect(report.diagnosis.explanation).toContain('bare line feed');
  });

  it("pm2 upstream-keepalive (Node's keepAliveTimeout under nginx's 60 s): timed over SSH, keepalive_timeout set below Node's, verified, the race gone", async () => {
    const stack = await box(pm2AppKeepalive());
    expect(keepaliveRace(stack.box)).toEqual(['200', '502']);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('upstream-keepalive');
    expect(report.fix.edits).toEqual([expect.objectContaining({ before: 'keepalive 8;', after: expect.stringMatching(/keepalive_timeout [45]s;$/) })]);
    const workers = nginxWorkers(stack.box);
    await appliedOverSsh(stack, stack.url);
    await oldWorkersGone(stack.box, workers);
    expect(keepaliveRace(stack.box)).toEqual(['200', '200']);
  }, 90_000);

  it('init-script bind-address-mismatch (BIND=::1 in /etc/default): proxy_pass retargeted over SSH, verified', async () => {
    const stack = await box(initScriptApp('::1'));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: 'proxy_pass http://[::1]:8001;' })]);
    await appliedOverSsh(stack, stack.url);
  });

  it('init-script header-too-big (40 cookies): proxy_buffer_size sized over SSH, verified', async () => {
    const stack = await box(initScriptApp());
    const url = 'http://api.example/cookies';
    const { report } = await overSsh(stack, ['--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    await appliedOverSsh(stack, url);
  });

  it('init-script invalid-response (a header line broken by a line feed): named over SSH', async () => {
    const stack = await box(initScriptApp());
    const { report } = await overSsh(stack, ['--url', 'http://api.example/legacy']);
    expect(report.diagnosis.cause, path(report)).toBe('invalid-response');
  });

  it('php-fpm bind-address-mismatch (listen = [::1]:9000, fastcgi_pass 127.0.0.1:9000): fastcgi_pass retargeted over SSH, verified', async () => {
    const stack = await box(phpFpmListening('[::1]:9000', '127.0.0.1:9000'));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(report.fix.edits).toEqual([expect.objectContaining({ before: 'fastcgi_pass 127.0.0.1:9000;', after: 'fastcgi_pass [::1]:9000;' })]);
    await appliedOverSsh(stack, stack.url);
  });

  it("php-fpm upstream-keepalive (fastcgi_keep_conn on, pm.max_requests = 1): the pool's settings read over SSH, fastcgi_keep_conn off, verified, the POSTs all answered", async () => {
    const stack = await box(phpFpmKeepConn(1));
    expect(postsUntil502(stack.box, stack.url, 3000)).toMatchObject({ failed: true });
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('upstream-keepalive');
    expect(report.steps.find((s: { node: string }) => s.node === 'closed-keepalive')).toMatchObject({ outcome: 'worker-recycles' });
    expect(report.fix.edits).toEqual([expect.objectContaining({ before: 'fastcgi_keep_conn on;', after: 'fastcgi_keep_conn off;' })]);
    const workers = nginxWorkers(stack.box);
    await appliedOverSsh(stack, stack.url);
    await oldWorkersGone(stack.box, workers);
    expect(postsUntil502(stack.box, stack.url, 2000)).toEqual({ sent: 2000, failed: false });
  }, 180_000);
});
