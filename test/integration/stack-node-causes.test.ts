import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { initScriptApp, keepaliveRace, nginxWorkers, oldWorkersGone, phpFpmKeepConn, phpFpmListening, pm2App, pm2AppKeepalive, postsUntil502 } from './lab/stacks-causes.js';
import type { Stack } from './lab/stacks.js';

const { use, inBox } = stackScope();
const path = pathOf;
const nodes = (report: { diagnosis: { evidence: { node: string; lines: string[] }[] } }, node: string) => report.diagnosis.evidence.filter((e) => e.node === node).flatMap((e) => e.lines);

async function appliedAndVerified(stack: Stack, url: string) {
  const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', url], BOX_STATE);
  expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
}

describe('a Node app under pm2: the causes of the plain lab', () => {
  for (const [host, shown] of [
    ['::1', '[::1]'],
    ['127.0.0.2', '127.0.0.2'],
  ] as const) {
    it(`bind-address-mismatch: HOST=${host} in the ecosystem file, nginx dials 127.0.0.1:3000; proxy_pass retargeted, applied and verified`, async () => {
      const stack = await use(pm2App({ HOST: host }));
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
      expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
      expect(report.diagnosis.explanation).toContain(`${shown}:3000`);
      expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', before: 'proxy_pass http://127.0.0.1:3000;', after: `proxy_pass http://${shown}:3000;` })]);
      await appliedAndVerified(stack, stack.url);
    });
  }

  it('header-too-big: /cookies sets 40 cookies of 200 bytes; the head measured, proxy_buffer_size sized from it, applied and verified', async () => {
    const stack = await use(pm2App());
    const url = 'http://api.example/cookies';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('upstream sent too big header while reading response header from upstream');
    expect(report.diagnosis.explanation).toMatch(/response header for this request is \d{4,5} bytes/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', after: expect.stringContaining('proxy_buffer_size 16k;') })]);
    await appliedAndVerified(stack, url);
    expect(stack.box.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', url])).toBe('200');
  });

  it('invalid-response: /legacy writes its answer to the socket itself, a line feed inside a header value; named, nothing to change in nginx', async () => {
    const stack = await use(pm2App());
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/legacy']);
    expect(report.diagnosis.cause, path(report)).toBe('invalid-response');
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('upstream sent invalid header');
    expect(report.diagnosis.explanation).toContain('"see the audit log"');
    expect(report.diagnosis.explanation).toContain('bare line feed');
    expect(report.fix.edits).toEqual([]);
  });

  it("upstream-keepalive: nginx keeps idle connections 60 s, Node closes them after its keepAliveTimeout; a POST on a connection Node is closing fails; keepalive_timeout set below Node's, applied, verified, and the race gone", async () => {
    const stack = await use(pm2AppKeepalive());
    expect(keepaliveRace(stack.box)).toEqual(['200', '502']);
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toMatch(/\(104: Connection reset by peer\) while reading response header from upstream.*request: "POST \/api\/orders/);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('upstream-keepalive');
    expect(report.steps.find((s: { node: string }) => s.node === 'closed-keepalive')).toMatchObject({ outcome: 'backend-closes-first' });
    expect(report.diagnosis.explanation).toMatch(/after about [56]\d{3} ms/);
    const [edit] = report.fix.edits;
    expect(edit).toMatchObject({ file: '/etc/nginx/sites-enabled/api', before: 'keepalive 8;' });
    expect(edit.after).toMatch(/^keepalive 8;\n\s+keepalive_timeout [45]s;$/);
    const workers = nginxWorkers(stack.box);
    await appliedAndVerified(stack, stack.url);
    await oldWorkersGone(stack.box, workers);
    expect(keepaliveRace(stack.box)).toEqual(['200', '200']);
  }, 90_000);
});

describe('a backend started by /etc/init.d/shop-api, its settings in /etc/default/shop-api', () => {
  for (const [bind, shown] of [
    ['::1', '[::1]'],
    ['127.0.0.2', '127.0.0.2'],
  ] as const) {
    it(`bind-address-mismatch: BIND=${bind} in /etc/default, nginx dials 127.0.0.1:8001; proxy_pass retargeted, applied and verified`, async () => {
      const stack = await use(initScriptApp(bind));
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
      expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
      expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', before: 'proxy_pass http://127.0.0.1:8001;', after: `proxy_pass http://${shown}:8001;` })]);
      await appliedAndVerified(stack, stack.url);
    });
  }

  it('header-too-big: /cookies sets 40 cookies of 200 bytes; proxy_buffer_size sized from the measured head, applied and verified', async () => {
    const stack = await use(initScriptApp());
    const url = 'http://api.example/cookies';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('upstream sent too big header while reading response header from upstream');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/api', after: expect.stringContaining('proxy_buffer_size 16k;') })]);
    await appliedAndVerified(stack, url);
  });

  it('invalid-response: /legacy writes a header line broken by a line feed; named, nothing to change in nginx', async () => {
    const stack = await use(initScriptApp());
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/legacy']);
    expect(report.diagnosis.cause, path(report)).toBe('invalid-response');
    expect(stack.box.read('/var/log/nginx/api.example.error.log')).toContain('upstream sent invalid header');
    expect(report.diagnosis.explanation).toContain('bare line feed');
    expect(report.fix.edits).toEqual([]);
  });
});

describe("Debian's php8.2-fpm on TCP", () => {
  for (const [listen, listed] of [
    ['[::1]:9000', '::1:9000'],
    ['127.0.0.2:9000', '127.0.0.2:9000'],
  ] as const) {
    it(`bind-address-mismatch: the www pool listens on ${listen}, fastcgi_pass dials 127.0.0.1:9000; fastcgi_pass retargeted, applied and verified`, async () => {
      const stack = await use(phpFpmListening(listen, '127.0.0.1:9000'));
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
      expect(stack.box.read('/var/log/nginx/blog.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
      expect(nodes(report, 'backend-listening').join('\n')).toContain(`${listed} php-fpm8.2 pid`);
      expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/blog', before: 'fastcgi_pass 127.0.0.1:9000;', after: `fastcgi_pass ${listen};` })]);
      await appliedAndVerified(stack, stack.url);
    });
  }

  it("upstream-keepalive on FastCGI: fastcgi_keep_conn on and pm.max_requests = 1; a child ends right after its answer on the connection nginx reuses, a POST fails; read from the pool's settings (no HTTP probe), fastcgi_keep_conn off, applied, verified, and the POSTs all answered", async () => {
    const stack = await use(phpFpmKeepConn(1));
    expect(postsUntil502(stack.box, stack.url, 3000)).toMatchObject({ failed: true });
    expect(stack.box.read('/var/log/nginx/blog.example.error.log')).toMatch(/upstream prematurely closed connection while reading response header from upstream.*request: "POST \/index\.php/);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('upstream-keepalive');
    expect(report.steps.find((s: { node: string }) => s.node === 'closed-keepalive')).toMatchObject({ outcome: 'worker-recycles' });
    expect(nodes(report, 'closed-keepalive').join('\n')).toContain('pool www: pm.max_requests = 1 (/etc/php/8.2/fpm/pool.d/www.conf:');
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/blog', before: 'fastcgi_keep_conn on;', after: 'fastcgi_keep_conn off;' })]);
    const workers = nginxWorkers(stack.box);
    await appliedAndVerified(stack, stack.url);
    await oldWorkersGone(stack.box, workers);
    expect(postsUntil502(stack.box, stack.url, 2000)).toEqual({ sent: 2000, failed: false });
  }, 180_000);

  it('no race on FastCGI when no child ends (pm.max_requests = 0): php-fpm keeps a kept connection as long as nginx does, 2000 POSTs all answered', async () => {
    const stack = await use(phpFpmKeepConn(0));
    expect(postsUntil502(stack.box, stack.url, 2000)).toEqual({ sent: 2000, failed: false });
  }, 120_000);
});
