import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { allErrorLogs, effectiveDirective, errorLogsFor, routeRequest, workerUser, type RequestTarget } from '../../../src/nginx/route.js';

const dump = (name: string) => parseDump(readFileSync(new URL(`../../fixtures/nginx-T/${name}`, import.meta.url), 'utf8'));

const proxy = dump('proxy-upstream.txt');
const semantics = dump('route-semantics.txt');
const stock = dump('debian-stock.txt');

const app = (path: string, extra: Partial<RequestTarget> = {}) => routeRequest(proxy, { port: 8080, hostHeader: 'app.example.com', path, ...extra });
const php = (path: string) => routeRequest(proxy, { port: 8082, hostHeader: 'php.example', path });
/** What the chosen server or location of route-semantics.txt answers with (each one `return 200 "<name>\n"`). */
const returned = (target: RequestTarget) =>
  routeRequest(semantics, target)
    ?.chain.at(-1)
    ?.block?.find((d) => d.directive === 'return')?.args[1];

describe('routeRequest: server selection', () => {
  it('picks the server by exact name, ignoring case and the port in Host', () => {
    const route = app('/', { hostHeader: 'WWW.App.Example.com:8080' })!;
    expect(route.server).toMatchObject({ file: '/tmp/bgw/proxy/conf.d/10-app.conf', line: 1 });
    expect(route).toMatchObject({ serverName: 'www.app.example.com', serverBy: 'exact' });
  });

  it('sends a Host that names no server to the default_server, not to a named one', () => {
    const route = app('/', { hostHeader: 'app.example.com.evil' })!;
    expect(route).toMatchObject({ serverName: '_', serverBy: 'default', location: null, pass: null });
    expect(route.server.file).toBe('/tmp/bgw/proxy/conf.d/00-default.conf');
  });

  it('reads each listen line once for all servers that write it, keeping each server its own (default_server, ipv6only)', () => {
    const sites = ['a', 'b', 'c']
      .map((name, i) => `server {\n    listen 127.0.0.1:80${i === 1 ? ' default_server' : ''};\n    listen [::]:80${i === 2 ? ' ipv6only=off' : ''};\n    server_name ${name}.test;\n}\n`)
      .join('');
    const config = parseDump(`# configuration file /etc/nginx/nginx.conf:\nhttp {\n${sites}}\n\n`);
    expect(routeRequest(config, { port: 80, address: '127.0.0.1', hostHeader: 'none.test', path: '/' })).toMatchObject({ serverName: 'b.test', serverBy: 'default' });
    expect(routeRequest(config, { port: 80, address: '127.0.0.1', hostHeader: 'c.test', path: '/' })).toMatchObject({ serverName: 'c.test', serverBy: 'exact' });
    expect(routeRequest(config, { port: 80, address: '::1', hostHeader: 'none.test', path: '/' })).toMatchObject({ serverName: 'a.test', serverBy: 'default' });
    expect(routeRequest(config, { port: 80, address: '10.250.0.9', hostHeader: 'none.test', path: '/' })).toMatchObject({ serverName: 'c.test', serverBy: 'default' });
  });

  it('matches leading and trailing wildcards and regex names', () => {
    expect(routeRequest(proxy, { port: 8081, address: '127.0.0.1', hostHeader: 'a.b.wild.example', path: '/' })).toMatchObject({ serverName: '*.wild.example', serverBy: 'wildcard' });
    expect(routeRequest(proxy, { port: 8081, address: '127.0.0.1', hostHeader: 'mail.example.org', path: '/' })).toMatchObject({ serverName: 'mail.*' });
    expect(app('/', { hostHeader: 'acme.tenant.example' })).toMatchObject({ serverBy: 'regex' });
    expect(app('/', { hostHeader: 'acme.tenant.example.org' })).toMatchObject({ serverBy: 'default' });
  });

  it('finds nothing on a port or address family no server listens on', () => {
    expect(routeRequest(proxy, { port: 9999, hostHeader: 'app.example.com', path: '/' })).toBeNull();
    expect(routeRequest(proxy, { port: 8081, address: '::1', hostHeader: 'x.wild.example', path: '/' })).toBeNull();
    expect(routeRequest(proxy, { port: 8082, address: '::1', hostHeader: 'php.example', path: '/' })).toBeNull();
    expect(app('/', { address: '::1' })).toMatchObject({ serverName: 'app.example.com' });
  });

  // Outcomes below were observed with curl against nginx 1.22 running route-semantics.txt.
  it('lets a server on a specific address hide the wildcard servers of that port', () => {
    expect(returned({ port: 18601, address: '127.0.0.1', hostHeader: 'b.test', path: '/' })).toBe('A\n');
    expect(returned({ port: 18601, address: '127.0.0.2', hostHeader: 'b.test', path: '/' })).toBe('B\n');
  });

  it('falls back to the first server of the port, and knows the ".name" and "name.*" forms', () => {
    expect(returned({ port: 18602, address: '127.0.0.1', hostHeader: 'zzz', path: '/' })).toBe('first\n');
    expect(returned({ port: 18602, address: '127.0.0.1', hostHeader: 'dot.test', path: '/' })).toBe('dot\n');
    expect(returned({ port: 18602, address: '127.0.0.1', hostHeader: 'x.y.dot.test', path: '/' })).toBe('dot\n');
    expect(returned({ port: 18602, address: '127.0.0.1', hostHeader: 'www.a.b', path: '/' })).toBe('trailing\n');
  });

  it('gives a server without listen port 80 (Debian stock default server)', () => {
    const route = routeRequest(stock, { port: 80, hostHeader: 'anything', path: '/x' })!;
    expect(route).toMatchObject({ serverName: '_', serverBy: 'default', locationMatch: 'location /', pass: null });
  });
});

describe('routeRequest: location selection', () => {
  it.each([
    ['/api/admin/x', 'outer-regex\n'],
    ['/api/x', 'api\n'],
    ['/static/x.png', 'static\n'],
    ['/exact', 'exact\n'],
    ['/exactly', 'regex-exact\n'],
    ['/a//b/../x.png', 'png\n'],
  ])('%s -> %j, as nginx answered', (path, body) => {
    expect(returned({ port: 18603, hostHeader: 'x', path })).toBe(body);
  });

  it('lets ^~ beat a regex that also matches', () => {
    expect(app('/static/logo.png')).toMatchObject({ locationMatch: 'location ^~ /static/', pass: null });
  });

  it('uses a case-insensitive regex over the longest prefix', () => {
    const route = app('/img/Photo.JPG?size=2')!;
    expect(route.locationMatch).toBe('location ~* \\.(png|jpe?g)$');
    expect(route.pass?.servers).toEqual([{ target: '[::1]:8081', kind: 'tcp', host: '::1', port: 8081, params: [], file: '/tmp/bgw/proxy/conf.d/10-app.conf', line: 28 }]);
  });

  it('enters nested locations and keeps the chain outer to inner', () => {
    const route = app('/api/admin/users')!;
    expect(route.locationMatch).toBe('location /api/admin/');
    expect(route.chain.map((d) => `${d.directive} ${d.args.join(' ')}`.trim())).toEqual(['http', 'server', 'location /api/', 'location /api/admin/']);
  });

  it('prefers = over a prefix of the same path', () => {
    expect(app('/health')).toMatchObject({ locationMatch: 'location = /health', pass: null });
    expect(app('/healthz')).toMatchObject({ locationMatch: 'location /' });
  });

  it('does not pass a location whose proxy_pass is commented out', () => {
    expect(app('/off/x')).toMatchObject({ locationMatch: 'location /off/', pass: null });
  });
});

describe('routeRequest: pass targets', () => {
  it('expands an upstream group with its server params and places', () => {
    const pass = app('/')!.pass!;
    expect(pass).toMatchObject({ module: 'proxy', scheme: 'http', group: 'backend' });
    expect(pass.directive).toMatchObject({ directive: 'proxy_pass', line: 10, file: '/tmp/bgw/proxy/conf.d/10-app.conf' });
    expect(pass.servers).toEqual([
      { target: '127.0.0.1:9000', kind: 'tcp', host: '127.0.0.1', port: 9000, params: ['max_fails=3', 'fail_timeout=10s'], file: '/tmp/bgw/proxy/nginx.conf', line: 18 },
      { target: '127.0.0.1:9001', kind: 'tcp', host: '127.0.0.1', port: 9001, params: ['weight=2'], file: '/tmp/bgw/proxy/nginx.conf', line: 19 },
      { target: 'unix:/run/app/backup.sock', kind: 'unix', socket: '/run/app/backup.sock', params: ['backup'], file: '/tmp/bgw/proxy/nginx.conf', line: 20 },
    ]);
  });

  it('reads a URI after host:port, and a unix socket inside an http URL', () => {
    expect(app('/api/v')!.pass!.servers[0]).toMatchObject({ target: '127.0.0.1:9002', port: 9002 });
    expect(app('/api/admin/')!.pass!.servers[0]).toMatchObject({ target: 'unix:/run/admin.sock', kind: 'unix', socket: '/run/admin.sock' });
  });

  it('resolves a variable from set in scope, and flags one it cannot', () => {
    expect(app('/legacy/page')!.pass).toMatchObject({ group: null, servers: [{ target: '127.0.0.1:9300', line: 37 }] });
    expect(app('/dyn/x')!.pass).toMatchObject({ servers: [], unresolved: 'http://$http_x_target' });
  });

  it('reads fastcgi, uwsgi, scgi and grpc targets', () => {
    expect(php('/index.php')!.pass).toMatchObject({ module: 'fastcgi', scheme: 'fastcgi', servers: [{ target: 'unix:/run/php/php8.2-fpm.sock', kind: 'unix' }] });
    expect(php('/pool/')!.pass).toMatchObject({ group: 'php_pool', servers: [{ socket: '/run/php/php8.2-fpm.sock', line: 25, file: '/tmp/bgw/proxy/nginx.conf' }] });
    expect(php('/tcp/')!.pass!.servers[0]).toMatchObject({ target: '127.0.0.1:9009' });
    expect(php('/py/')!.pass).toMatchObject({ module: 'uwsgi', servers: [{ target: 'unix:/run/uwsgi/app.sock' }] });
    expect(php('/scgi/')!.pass).toMatchObject({ module: 'scgi', servers: [{ target: '127.0.0.1:4000' }] });
    expect(php('/grpc/')!.pass).toMatchObject({ module: 'grpc', scheme: 'grpc', servers: [{ target: '127.0.0.1:50051' }] });
  });

  it('uses the scheme default port for a name that is no upstream', () => {
    expect(php('/secure/')!.pass).toMatchObject({ scheme: 'https', group: null, servers: [{ target: 'localhost:443', host: 'localhost', port: 443 }] });
    expect(routeRequest(proxy, { port: 8081, address: '127.0.0.1', hostHeader: 'x.wild.example', path: '/' })!.pass!.servers[0]).toMatchObject({ target: 'localhost:3000' });
  });
});

describe('inherited directives and logs', () => {
  it('finds the innermost setting along the chain', () => {
    expect(effectiveDirective(app('/api/admin/x')!, 'proxy_read_timeout')?.args).toEqual(['120s']);
    expect(effectiveDirective(app('/')!, 'proxy_read_timeout')).toMatchObject({ args: ['30s'], file: '/tmp/bgw/proxy/nginx.conf' });
    expect(effectiveDirective(app('/')!, 'proxy_buffer_size')?.args).toEqual(['8k']);
    expect(effectiveDirective(php('/tcp/')!, 'proxy_buffer_size')).toBeNull();
  });

  it('uses every error_log of the innermost level that has one', () => {
    expect(errorLogsFor(proxy, app('/api/x'), '/tmp/bgw/proxy/')).toEqual(['/tmp/bgw/proxy/logs/app-error.log', '/tmp/bgw/proxy/logs/app-debug.log']);
    expect(errorLogsFor(proxy, php('/pool/'), '/tmp/bgw/proxy/')).toEqual(['/tmp/bgw/proxy/logs/http-error.log']);
  });

  it('falls back to the main error_log, resolving a relative path against the prefix', () => {
    const noHttpLog = { ...proxy, tree: proxy.tree.map((d) => (d.directive === 'http' ? { ...d, block: d.block!.filter((c) => c.directive !== 'error_log') } : d)) };
    expect(errorLogsFor(noHttpLog, routeRequest(noHttpLog, { port: 8082, hostHeader: 'php.example', path: '/' }), '/opt/ngx')).toEqual(['/opt/ngx/logs/main-error.log']);
    expect(errorLogsFor(stock, routeRequest(stock, { port: 80, hostHeader: 'x', path: '/' }), '/usr/share/nginx/')).toEqual(['/var/log/nginx/error.log']);
  });

  it('returns [] when nothing writes an error_log, and keeps syslog targets verbatim', () => {
    const globs = dump('include-globs.txt');
    expect(errorLogsFor(globs, routeRequest(globs, { port: 80, hostHeader: 'two.example', path: '/' }), '/')).toEqual([]);
    expect(allErrorLogs(globs, '/')).toEqual([]);
    const syslog = { ...stock, tree: stock.tree.map((d) => (d.directive === 'error_log' ? { ...d, args: ['syslog:server=unix:/dev/log', 'warn'] } : d)) };
    expect(errorLogsFor(syslog, null, '/')).toEqual(['syslog:server=unix:/dev/log']);
    expect(allErrorLogs(syslog, '/')).toEqual([]);
  });

  it('lists every distinct error log file', () => {
    expect(allErrorLogs(proxy, '/tmp/bgw/proxy')).toEqual([
      '/tmp/bgw/proxy/logs/main-error.log',
      '/tmp/bgw/proxy/logs/http-error.log',
      '/tmp/bgw/proxy/logs/app-error.log',
      '/tmp/bgw/proxy/logs/app-debug.log',
    ]);
  });
});

describe('workerUser', () => {
  it('reads user and group from the main context', () => {
    expect(workerUser(proxy)).toEqual({ user: 'nginx-app', group: 'www-data', place: { file: '/tmp/bgw/proxy/nginx.conf', line: 1 } });
  });

  it('uses the group named like the user when none is written', () => {
    expect(workerUser(stock)).toEqual({ user: 'www-data', group: 'www-data', place: { file: '/etc/nginx/nginx.conf', line: 1 } });
  });

  it('defaults to nobody without a user directive', () => {
    expect(workerUser(dump('include-globs.txt'))).toEqual({ user: 'nobody', group: null, place: null });
  });
});
