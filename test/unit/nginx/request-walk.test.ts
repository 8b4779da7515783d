import { describe, expect, it } from 'vitest';
import { routeOf } from '../../../src/facts/route.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { resolveRoute } from '../../../src/nginx/route-resolve.js';
import { routeRequest, type PathKinds, type RequestTarget } from '../../../src/nginx/route.js';

// What real nginx does with each of these shapes is proven by test/integration/route-oracle.test.ts;
// these cases pin the walk's own bookkeeping: the paths it asks for, the trail, what it cannot decide.
const config = parseDump(`# configuration file /etc/nginx/nginx.conf:
http {
    map $http_x_canary $pool { default stable; 1 canary; }
    upstream stable { server 127.0.0.1:9001; }
    upstream canary { server 127.0.0.1:9002; }
    server {
        listen 8080;
        server_name shop.test;
        root /srv/shop;
        index index.php index.html;
        location / { try_files $uri $uri/ /index.php?$args; }
        location ~ \\.php$ { fastcgi_pass unix:/run/php/php8.2-fpm.sock; }
        location /api/ { proxy_pass http://$pool; }
        location /app { try_files $uri @app; }
        location @app { proxy_pass http://127.0.0.1:3000; }
        location /old/ { rewrite ^/old/(.*)$ /new/$1 permanent; }
        location /post { if ($request_method = POST) { proxy_pass http://127.0.0.1:3001; } proxy_pass http://127.0.0.1:3003; }
        location /office { if ($remote_addr = 10.0.0.1) { return 403; } proxy_pass http://127.0.0.1:3002; }
        location /private/ { internal; }
        location /gone { error_page 404 = @app; return 404; }
        location /by-header/ { proxy_pass http://$http_x_backend; }
    }
    server { listen 127.0.0.1:8080; server_name shop.test; return 200 "specific"; }
}
`);

const shop: PathKinds = { '/srv/shop/': 'dir', '/srv/shop/index.php': 'file', '/srv/shop/app': 'none', '/srv/shop/blog/hello': 'none', '/srv/shop/logo.png': 'file' };
const request = (path: string, extra: Partial<RequestTarget> = {}): RequestTarget => ({ port: 8080, address: '127.0.0.2', hostHeader: 'shop.test', path, ...extra });
const route = (path: string, extra: Partial<RequestTarget> = {}, kinds: PathKinds = shop) => routeRequest(config, request(path, extra), kinds)!;

describe('the walk: a PHP front controller', () => {
  it('follows GET / through try_files and index to the fastcgi_pass, with a trail of file:line', () => {
    const r = route('/');
    expect(r).toMatchObject({ outcome: 'proxied', uri: '/index.php', locationMatch: 'location ~ \\.php$', unknownPaths: [] });
    expect(r.pass?.servers.map((s) => s.target)).toEqual(['unix:/run/php/php8.2-fpm.sock']);
    expect(r.steps.map((s) => [s.kind, s.line])).toEqual([
      ['server', 5],
      ['location', 10],
      ['try_files', 10],
      ['index', 9],
      ['location', 11],
      ['pass', 11],
    ]);
  });

  it('sends a pretty URL that is no file to /index.php, keeping the query', () => {
    expect(route('/blog/hello?page=2')).toMatchObject({ outcome: 'proxied', uri: '/index.php' });
    expect(route('/logo.png')).toMatchObject({ outcome: 'served', status: 200, file: '/srv/shop/logo.png' });
  });

  it('asks for the paths it needs instead of guessing, and resolveRoute asks the box until it knows', async () => {
    expect(route('/blog/hello', {}, {})).toMatchObject({ outcome: 'undecided', unknownPaths: ['/srv/shop/blog/hello'] });
    const asked: string[][] = [];
    const { route: resolved } = await resolveRoute(config, request('/blog/hello'), async (paths) => {
      asked.push(paths);
      return Object.fromEntries(paths.map((p) => [p, shop[p] ?? 'none']));
    });
    expect(resolved).toMatchObject({ outcome: 'proxied', uri: '/index.php' });
    // /index.php is handed to php-fpm as it is: nginx tests no file on the way, and neither do we.
    expect(asked).toEqual([['/srv/shop/blog/hello']]);
  });
});

describe('the walk: variables, named locations, rewrites and conditions', () => {
  it('evaluates a map on a header it is given, and lists the map values when the header is unknown', () => {
    expect(route('/api/x', { headers: { 'x-canary': '1' } }).pass).toMatchObject({ group: 'canary' });
    expect(route('/api/x', { headers: {} }).pass).toMatchObject({ group: 'stable' });
    const unknown = route('/api/x');
    expect(unknown.pass).toMatchObject({ unresolved: 'http://$pool', servers: [] });
    expect(unknown.steps.at(-1)?.text).toContain('one of stable (127.0.0.1:9001), canary (127.0.0.1:9002)');
    expect(unknown.undecided[0]).toContain('$http_x_canary');
  });

  it('goes to a named location from try_files and from error_page', () => {
    expect(route('/app').pass?.servers[0]?.target).toBe('127.0.0.1:3000');
    expect(route('/gone')).toMatchObject({ outcome: 'proxied', pass: { servers: [{ target: '127.0.0.1:3000' }] } });
  });

  it('redirects: the automatic 301 of a passing location, and rewrite ... permanent with the query kept', () => {
    expect(route('/api', { headers: {} })).toMatchObject({ outcome: 'redirect', status: 301, redirectTo: 'http://shop.test:8080/api/' });
    expect(route('/old/a/b?x=1')).toMatchObject({ outcome: 'redirect', status: 301, redirectTo: 'http://shop.test:8080/new/a/b?x=1' });
  });

  it('takes the pass of an if block whose condition the request decides', () => {
    expect(route('/post', { method: 'POST' })).toMatchObject({ outcome: 'proxied', pass: { servers: [{ target: '127.0.0.1:3001' }] } });
    expect(route('/post')).toMatchObject({ outcome: 'proxied', pass: { servers: [{ target: '127.0.0.1:3003' }] } });
  });

  it('says when a condition depends on the client rather than the request', () => {
    const r = route('/office');
    expect(r).toMatchObject({ outcome: 'proxied' });
    expect(r.undecided.join('\n')).toMatch(/\$remote_addr.*taken as false/);
  });

  it('answers 500 when a header the request does not carry leaves the pass without a host, as nginx does', () => {
    expect(route('/by-header/x', { headers: {} })).toMatchObject({ outcome: 'return', status: 500 });
    expect(route('/by-header/x', { headers: { 'x-backend': '127.0.0.1:7000' } }).pass?.servers[0]?.target).toBe('127.0.0.1:7000');
  });

  it('answers 404 for an internal location requested from outside', () => {
    expect(route('/private/x')).toMatchObject({ outcome: 'return', status: 404 });
  });

  it('lets a server on the specific address take the connection', () => {
    expect(routeRequest(config, request('/', { address: '127.0.0.1' }), shop)).toMatchObject({ outcome: 'return', status: 200, serverName: 'shop.test' });
    expect(routeRequest(config, request('/', { address: '127.0.0.1' }), shop)!.server.line).toBe(22);
  });
});

describe('routeOf: the error line names the upstream a variable chose', () => {
  it("takes the upstream: field of nginx's line when the request alone does not decide", () => {
    const facts = {
      'nginx.config': config,
      'nginx.prefix': '/usr/share/nginx/',
      'request.url': 'http://shop.test:8080/api/x',
      'request.port': 8080,
      'request.hostHeader': 'shop.test:8080',
      'request.path': '/api/x',
      'request.connectTo': '127.0.0.2:8080',
      'route.pathKinds': shop,
    };
    expect(routeOf(facts)!.pass).toMatchObject({ unresolved: 'http://$pool' });
    const withLog = routeOf({ ...facts, 'request.upstream': 'http://127.0.0.1:9002/api/x' })!;
    expect(withLog.pass).toMatchObject({ servers: [{ target: '127.0.0.1:9002' }] });
    expect(withLog.pass?.unresolved).toBeUndefined();
    expect(withLog.steps.at(-1)?.text).toContain('names the upstream it dialled');
  });
});

describe('the walk: cases a review held against real nginx 1.22', () => {
  const reviewed = parseDump(`# configuration file /etc/nginx/nginx.conf:
http {
    server {
        listen 80;
        root /srv/r;
        index index.php;
        location / { try_files $uri $uri/ /index.php?$args; if ($request_method = GET) { add_header X-Seen 1; } }
        location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000; }
        location /py/ { uwsgi_pass unix:///run/uwsgi/app.sock; }
        location /app { return 200; }
        location /app/ { proxy_pass http://127.0.0.1:3000; }
        location ~ ^/img/(.+)$ { alias /data/$1; try_files $uri =404; }
        location /allow/ { allow 203.0.113.7; deny all; proxy_pass http://127.0.0.1:3001; }
    }
}
`);
  const at = (path: string, method = 'GET', kinds: PathKinds = { '/srv/r/': 'dir', '/srv/r/index.php': 'file', '/data/a.png/img/a.png': 'none' }) =>
    routeRequest(reviewed, { port: 80, hostHeader: 'r.test', path, method }, kinds)!;

  it('an if block in force has no try_files of its own: nginx looks for the file itself', () => {
    expect(at('/hello/', 'GET', { '/srv/r/hello/': 'none', '/srv/r/hello/index.php': 'none' })).toMatchObject({ outcome: 'served', status: 404 });
  });

  it('reads unix:/// as the socket file', () => {
    expect(at('/py/x').pass?.servers[0]).toMatchObject({ kind: 'unix', socket: '/run/uwsgi/app.sock' });
  });

  it('lets a prefix location named like the URI take it before the automatic 301', () => {
    expect(at('/app')).toMatchObject({ outcome: 'return', status: 200 });
  });

  it('tests alias + the tried name in a regex location', () => {
    expect(at('/img/a.png')).toMatchObject({ outcome: 'return', status: 404 });
  });

  it('refuses other methods than GET, HEAD and POST where no backend takes the request (405)', () => {
    expect(at('/', 'OPTIONS', { '/srv/r/': 'dir', '/srv/r/index.php': 'file' })).toMatchObject({ outcome: 'served', status: 405 });
    expect(at('/x.txt', 'DELETE', { '/srv/r/x.txt': 'file' })).toMatchObject({ status: 405 });
  });

  it('takes a client that allow may let through as let through, and says so', () => {
    const r = at('/allow/x');
    expect(r).toMatchObject({ outcome: 'proxied' });
    expect(r.undecided.join('\n')).toContain('taken as letting this client through');
  });

  it('answers 400 for a NUL or a path above the root, without asking the box', () => {
    expect(at('/a%00b', 'GET', {})).toMatchObject({ outcome: 'return', status: 400, unknownPaths: [] });
    expect(at('/../etc/passwd', 'GET', {})).toMatchObject({ outcome: 'return', status: 400 });
  });
});

describe('the walk: a regex that backtracks without bound', () => {
  it('gives up as PCRE2 does (nginx answers 500) instead of hanging, and still matches ordinary URIs', () => {
    const risky = parseDump(`# configuration file /etc/nginx/nginx.conf:
http { server { listen 80; location ~ ^/([a-z0-9-]+/?)+$ { proxy_pass http://127.0.0.1:7001; } location / { proxy_pass http://127.0.0.1:7002; } } }
`);
    const crafted = routeRequest(risky, { port: 80, hostHeader: 'x', path: `/${'a'.repeat(40)}!` }, {})!;
    expect(crafted).toMatchObject({ outcome: 'return', status: 500 });
    expect(crafted.steps.at(-1)?.text).toContain("PCRE2's match limit");
    expect(routeRequest(risky, { port: 80, hostHeader: 'x', path: '/shop/cart/' }, {})!.pass?.servers[0]?.target).toBe('127.0.0.1:7001');
  });
});
