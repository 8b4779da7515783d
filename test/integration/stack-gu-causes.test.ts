import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { gunicornCausesApp, gunicornOtherAddress, uwsgiCausesApp } from '../../src/live/stacks-causes-python.js';

const { use, inBox } = stackScope();
const path = pathOf;
const nodes = (report: { diagnosis: { evidence: { node: string; lines: string[] }[] } }, node: string) => report.diagnosis.evidence.filter((e) => e.node === node).flatMap((e) => e.lines);
const refused = 'connect() failed (111: Connection refused) while connecting to upstream';

/** uwsgi with a socket of its own in apps-enabled/shop.ini, nginx dialling `pass` (waits for `listening` to accept). */
const uwsgiOn = (ini: string, pass: string, listening: string) => uwsgiCausesApp({ iniExtra: `${ini}\n`, pass, ready: ['bash', '-c', `exec 3<>/dev/tcp/${listening}`] });

describe('gunicorn under supervisord, bound to another loopback address than nginx dials (bind-address-mismatch)', () => {
  // As ss shows the listener: an IPv6 address without its brackets.
  for (const [bind, listener] of [
    ['127.0.0.2:8000', '127.0.0.2:8000'],
    ['[::1]:8000', '::1:8000'],
  ] as const) {
    it(`--bind ${bind} in the supervisord program, nginx dials 127.0.0.1:8000: its listener named, proxy_pass in sites-enabled/shop retargeted, applied and verified`, async () => {
      const stack = await use(gunicornOtherAddress(bind));
      const { report } = await inBox(stack, ['--json', '--url', stack.url]);
      expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
      expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain(`${refused}, client: 127.0.0.1, server: shop.example, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8000/"`);
      expect(nodes(report, 'backend-listening')).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${listener.replace(/\./g, '\\.')} gunicorn pid \\d+$`))]));
      expect(report.diagnosis.explanation).toContain(`the backend (gunicorn) listens only at ${bind}`);
      expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', line: 9, before: 'proxy_pass http://127.0.0.1:8000;', after: `proxy_pass http://${bind};` })]);
      const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
      expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
      expect(stack.box.run(['curl', '-s', '-H', 'Host: shop.example', 'http://127.0.0.1/'])).toBe('shop ok\n');
    });
  }
});

describe('gunicorn bound to 127.0.0.2 among the other sites of a real box', () => {
  it("the admin vhost's own upstream and Debian's default site are left alone: the edit lands in sites-enabled/shop, applied and verified", async () => {
    const stack = await use(gunicornOtherAddress('127.0.0.2:8000', true));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain(`${refused}, client: 127.0.0.1, server: shop.example`);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', line: 9, after: 'proxy_pass http://127.0.0.2:8000;' })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.read('/etc/nginx/conf.d/upstreams.conf')).toContain('server 127.0.0.1:9200;');
  });
});

describe('gunicorn under supervisord whose app answers with a big head (header-too-big)', () => {
  it("40 cookies on /big: the head measured over gunicorn's unix socket, proxy_buffer_size sized from it in sites-enabled/shop, applied and verified", async () => {
    const stack = await use(gunicornCausesApp());
    const url = 'http://shop.example/big';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain(
      'upstream sent too big header while reading response header from upstream, client: 127.0.0.1, server: shop.example, request: "GET /big HTTP/1.1", upstream: "http://unix:/run/shop/gunicorn.sock:/big"',
    );
    expect(report.steps.at(-1)).toMatchObject({ node: 'header-size', outcome: 'too-big' });
    const measured = nodes(report, 'header-size').join('\n');
    expect(measured).toMatch(/the backend answered 200 with 9\d{3} bytes of response header/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', before: 'location / {', after: expect.stringContaining('proxy_buffer_size 16k;') })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: shop.example', 'http://127.0.0.1/big'])).toBe('200');
  });
});

describe('gunicorn, asked for a header nginx would refuse', () => {
  it('cannot send it: gunicorn checks every header name and value itself and answers its own 400, so nginx logs no upstream error and badgateway finds no 502 to fix', async () => {
    const stack = await use(gunicornCausesApp());
    const url = 'http://shop.example/odd';
    // gunicorn's own error page, passed on by nginx.
    expect(stack.box.run(['curl', '-s', '-w', '%{http_code}', '-H', 'Host: shop.example', 'http://127.0.0.1/odd'])).toMatch(/Invalid HTTP header name: &quot;&#x27;X Order Id&#x27;&quot;[\s\S]*400$/);
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBeNull();
    expect(report.steps.find((s: { node: string }) => s.node === 'error-log')).toMatchObject({ outcome: 'healthy' });
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).not.toContain('upstream sent invalid header');
  });
});

describe("Debian's uwsgi, bound to another loopback address than nginx dials (bind-address-mismatch)", () => {
  it('socket = 127.0.0.2:3031 in apps-enabled/shop.ini, uwsgi_pass 127.0.0.1:3031: uwsgi_pass retargeted, applied and verified', async () => {
    const stack = await use(uwsgiOn('socket = 127.0.0.2:3031', 'include uwsgi_params;\n        uwsgi_pass 127.0.0.1:3031;', '127.0.0.2/3031'));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain(`${refused}, client: 127.0.0.1, server: shop.example, request: "GET / HTTP/1.1", upstream: "uwsgi://127.0.0.1:3031"`);
    expect(nodes(report, 'backend-listening').join('\n')).toMatch(/127\.0\.0\.2:3031 uwsgi pid \d+/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', line: 8, before: 'uwsgi_pass 127.0.0.1:3031;', after: 'uwsgi_pass 127.0.0.2:3031;' })]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('http-socket = 127.0.0.2:8080, proxy_pass http://127.0.0.1:8080: proxy_pass retargeted, applied and verified', async () => {
    const stack = await use(uwsgiOn('http-socket = 127.0.0.2:8080', 'include proxy_params;\n        proxy_pass http://127.0.0.1:8080;', '127.0.0.2/8080'));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('bind-address-mismatch');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain(`${refused}, client: 127.0.0.1, server: shop.example, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8080/"`);
    expect(report.fix.edits).toEqual([
      expect.objectContaining({ file: '/etc/nginx/sites-enabled/shop', line: 8, before: 'proxy_pass http://127.0.0.1:8080;', after: 'proxy_pass http://127.0.0.2:8080;' }),
    ]);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});

describe("Debian's uwsgi, its answers' heads read in the uwsgi protocol", () => {
  it('header-too-big: 40 cookies on /big; the head measured with a uwsgi request, uwsgi_buffer_size (never proxy_*) sized from it, applied and verified', async () => {
    const stack = await use(uwsgiCausesApp());
    const url = 'http://shop.example/big';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('header-too-big');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain(
      'upstream sent too big header while reading response header from upstream, client: 127.0.0.1, server: shop.example, request: "GET /big HTTP/1.1", upstream: "uwsgi://unix:/run/uwsgi/app/shop/socket:"',
    );
    expect(report.steps.at(-1)).toMatchObject({ node: 'header-size', outcome: 'too-big' });
    const measured = nodes(report, 'header-size').join('\n');
    expect(measured).toMatch(/the backend answered "HTTP\/1\.1 200 OK" with 41 header lines: 9\d{3} bytes of response head/);
    expect(measured).toMatch(/Set-Cookie: 40 lines, \d+ bytes/);
    const [edit] = report.fix.edits;
    expect(report.fix.edits).toHaveLength(1);
    expect(edit).toMatchObject({ file: '/etc/nginx/sites-enabled/shop', before: 'location / {', after: expect.stringContaining('uwsgi_buffer_size 16k;') });
    expect(edit.after).not.toContain('proxy_');
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(stack.box.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: shop.example', 'http://127.0.0.1/big'])).toBe('200');
  });

  it('invalid-response: the app names a header "X Order Id"; uwsgi passes it on, nginx refuses it, and the line is read back over the socket', async () => {
    const stack = await use(uwsgiCausesApp());
    const url = 'http://shop.example/odd';
    const { report } = await inBox(stack, ['--json', '--url', url]);
    expect(report.diagnosis.cause, path(report)).toBe('invalid-response');
    expect(stack.box.read('/var/log/nginx/shop.example.error.log')).toContain('upstream sent invalid header: "X\\x20..." while reading response header from upstream');
    expect(report.steps.at(-1)).toMatchObject({ node: 'response-head', outcome: 'malformed' });
    expect(nodes(report, 'response-head')).toEqual(expect.arrayContaining([' 1| HTTP/1.1 200 OK', ' 3| X Order Id: 7']));
    expect(report.diagnosis.explanation).toContain('line 3 of the response head, "X Order Id: 7"');
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.notes.join('\n')).toContain('Nothing to change in nginx');
  });
});
