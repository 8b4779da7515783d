import { describe, expect, it } from 'vitest';
import type { Directive } from '../../../src/nginx/config-types.js';
import type { Route } from '../../../src/nginx/route-types.js';
import { contractOutcome, routeJson, type RouteRequest } from '../../../src/report/route-json.js';
import { routeText } from '../../../src/report/route-text.js';

const FILE = '/etc/nginx/sites-enabled/shop';
const at = (directive: string, args: string[], line: number, block?: Directive[]): Directive => ({ directive, args, line, file: FILE, ...(block ? { block } : {}) });

const fastcgiPass = at('fastcgi_pass', ['unix:/run/php/php8.2-fpm.sock'], 21);
const phpLocation = at('location', ['~', '\\.php$'], 20, [fastcgiPass]);
const server = at('server', [], 3, [phpLocation]);

const request: RouteRequest = { method: 'GET', url: 'http://127.0.0.1:8080/', hostHeader: 'shop.example', connectTo: '127.0.0.1:8080', headers: { 'x-debug': '1' } };

/** GET / on a front-controller PHP site: location / tries $uri, $uri/, then index.php goes to php-fpm. */
const frontController: Route = {
  outcome: 'proxied',
  server,
  serverName: 'shop.example',
  serverBy: 'exact',
  location: phpLocation,
  locationMatch: '~ \\.php$',
  pass: {
    module: 'fastcgi',
    scheme: 'fastcgi',
    directive: fastcgiPass,
    group: null,
    servers: [{ target: 'unix:/run/php/php8.2-fpm.sock', kind: 'unix', socket: '/run/php/php8.2-fpm.sock', params: [], file: FILE, line: 21 }],
    evaluated: 'unix:/run/php/php8.2-fpm.sock',
  },
  chain: [server, phpLocation],
  uri: '/index.php',
  status: null,
  steps: [
    { kind: 'location', text: 'location / matches /', file: FILE, line: 10 },
    { kind: 'try_files', text: 'try_files $uri $uri/ /index.php?$args: /var/www/shop/ is a directory', file: FILE, line: 11 },
    { kind: 'index', text: 'index index.php: /var/www/shop/index.php exists, internal redirect to /index.php', file: FILE, line: 5 },
    { kind: 'location', text: 'location ~ \\.php$ matches /index.php', file: FILE, line: 20 },
    { kind: 'pass', text: 'fastcgi_pass unix:/run/php/php8.2-fpm.sock', file: FILE, line: 21 },
  ],
  unknownPaths: [],
  undecided: [],
};

describe('badgateway route --json', () => {
  it('gives the contract members for a proxied route, the pass target as evaluated', () => {
    const json = routeJson(frontController, request);
    expect(json).toMatchObject({
      outcome: 'proxied',
      server: { file: FILE, line: 3 },
      location: { file: FILE, line: 20 },
      pass: { directive: 'fastcgi_pass', file: FILE, line: 21, target: 'unix:/run/php/php8.2-fpm.sock', module: 'fastcgi', group: null },
      status: null,
      decided: true,
      undecided: [],
      serverName: 'shop.example',
      serverBy: 'exact',
      uri: '/index.php',
      request: { method: 'GET', host: 'shop.example', connectTo: '127.0.0.1:8080', headers: { 'x-debug': '1' } },
    });
    expect(json.steps).toHaveLength(5);
    expect(json.steps[1]).toEqual({ kind: 'try_files', text: 'try_files $uri $uri/ /index.php?$args: /var/www/shop/ is a directory', file: FILE, line: 11 });
    // The server and location are places, not whole directives with their blocks.
    expect(Object.keys(json.server ?? {})).toEqual(['file', 'line']);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('names the upstream group and its servers', () => {
    const pass = at('proxy_pass', ['http://$pool/api/'], 30);
    const route: Route = {
      ...frontController,
      pass: {
        module: 'proxy',
        scheme: 'http',
        directive: pass,
        group: 'api',
        servers: [
          { target: '10.0.0.5:9000', kind: 'tcp', host: '10.0.0.5', port: 9000, params: ['max_fails=3'], file: FILE, line: 40 },
          { target: '10.0.0.6:9000', kind: 'tcp', host: '10.0.0.6', port: 9000, params: ['backup'], file: FILE, line: 41 },
        ],
        evaluated: 'http://api/api/',
      },
    };
    expect(routeJson(route, request).pass).toEqual({
      directive: 'proxy_pass',
      file: FILE,
      line: 30,
      target: 'http://api/api/',
      module: 'proxy',
      args: ['http://$pool/api/'],
      group: 'api',
      servers: [
        { target: '10.0.0.5:9000', params: ['max_fails=3'], file: FILE, line: 40 },
        { target: '10.0.0.6:9000', params: ['backup'], file: FILE, line: 41 },
      ],
    });
  });

  it('gives status and Location for a redirect, the file for a served file, null pass for both', () => {
    const ret = at('return', ['301', 'https://shop.example$request_uri'], 4);
    const redirect: Route = {
      ...frontController,
      outcome: 'redirect',
      location: null,
      pass: null,
      status: 301,
      redirectTo: 'https://shop.example/',
      steps: [{ kind: 'return', text: 'return 301 https://shop.example$request_uri', file: FILE, line: ret.line }],
    };
    expect(routeJson(redirect, request)).toMatchObject({ outcome: 'redirect', location: null, pass: null, status: 301, redirectTo: 'https://shop.example/', file: null });
    const served: Route = { ...frontController, outcome: 'served', pass: null, status: 200, file: '/var/www/shop/robots.txt', uri: '/robots.txt' };
    expect(routeJson(served, request)).toMatchObject({ outcome: 'served', pass: null, status: 200, file: '/var/www/shop/robots.txt', redirectTo: null });
  });

  it('answers no-server with null places and says why', () => {
    const json = routeJson(null, request);
    expect(json).toMatchObject({ outcome: 'no-server', server: null, location: null, pass: null, status: null, decided: true });
    expect(json.reason).toContain('127.0.0.1:8080');
    expect(json.steps).toEqual([{ kind: 'server', text: json.reason }]);
    expect(routeJson(null, request, 'port 8080 is served by python3, not nginx').reason).toBe('port 8080 is served by python3, not nginx');
  });

  it("maps the engine's undecided to what the route does as far as it got, and says so", () => {
    const because = ['if ($remote_addr = 10.0.0.1) depends on the client address'];
    const undecided = (over: Partial<Route>): Route => ({ ...frontController, outcome: 'undecided', undecided: because, ...over });
    expect(contractOutcome(undecided({}))).toBe('proxied');
    expect(contractOutcome(undecided({ pass: null, status: 302, redirectTo: '/login' }))).toBe('redirect');
    expect(contractOutcome(undecided({ pass: null, status: 403 }))).toBe('return');
    expect(contractOutcome(undecided({ pass: null, status: 200, file: '/var/www/a' }))).toBe('served');
    expect(routeJson(undecided({}), request)).toMatchObject({ outcome: 'proxied', decided: false, undecided: because });
    expect(routeJson({ ...frontController, unknownPaths: ['/var/www/shop/index.php'] }, request)).toMatchObject({ decided: false, unknownPaths: ['/var/www/shop/index.php'] });
  });

  it('strips terminal controls from what the box said', () => {
    const evil: Route = { ...frontController, serverName: 'shop\x1b[2J.example', steps: [{ kind: 'note', text: 'a\x1b]0;pwned\x07b\x9b31m', file: `${FILE}\x1b[1A`, line: 1 }] };
    const json = routeJson(evil, request);
    expect(json.serverName).toBe('shop.example');
    expect(json.steps[0]).toEqual({ kind: 'note', text: 'ab', file: FILE, line: 1 });
    expect(JSON.stringify(json)).not.toMatch(/\\u001b|\u009b/);
  });
});

describe('badgateway route (text)', () => {
  it('shows the server and why, each step with file:line, and the answer in one line', () => {
    const text = routeText(routeJson(frontController, request), ['nginx 1.22.1 pid 10, config /etc/nginx/nginx.conf, on local']);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('GET http://127.0.0.1:8080/  Host: shop.example  arrives at 127.0.0.1:8080');
    expect(lines[1]).toContain('nginx 1.22.1 pid 10');
    expect(text).toContain(`Server shop.example (${FILE}:3): server_name shop.example is the Host header exactly`);
    expect(text).toContain(`  2. try_files $uri $uri/ /index.php?$args: /var/www/shop/ is a directory (${FILE}:11)`);
    expect(text).toContain(`  3. index index.php: /var/www/shop/index.php exists, internal redirect to /index.php (${FILE}:5)`);
    expect(lines.at(-1)).toBe(`Answer: fastcgi_pass sends it to unix:/run/php/php8.2-fpm.sock (${FILE}:21)`);
  });

  it("numbers the steps after the server line, which replaces the trail's own server step", () => {
    const route: Route = { ...frontController, steps: [{ kind: 'server', text: 'server_name shop.example matches shop.example (exact)', file: FILE, line: 3 }, ...frontController.steps] };
    const text = routeText(routeJson(route, request));
    expect(text).not.toContain('(exact)');
    expect(text).toContain(`  1. location / matches / (${FILE}:10)`);
    expect(routeJson(route, request).steps[0]?.kind).toBe('server');
  });

  it('says when the server is the default one, and what is undecided', () => {
    const route: Route = { ...frontController, serverBy: 'default', serverName: '', outcome: 'undecided', undecided: ['a regex PCRE has and JavaScript lacks'] };
    const text = routeText(routeJson(route, { ...request, hostHeader: 'other.example' }));
    expect(text).toContain('no server_name matches the Host header other.example, so nginx uses the default server for 127.0.0.1:8080');
    expect(text).toContain('Not decided by the request alone:\n  - a regex PCRE has and JavaScript lacks');
    expect(text).toContain('Answer, as far as the request tells: fastcgi_pass sends it to');
  });

  it('answers a redirect, a return, a file and no server in one line', () => {
    const last = (route: Route | null) => routeText(routeJson(route, request)).trimEnd().split('\n').at(-1);
    expect(last({ ...frontController, outcome: 'redirect', pass: null, status: 301, redirectTo: 'https://shop.example/' })).toBe('Answer: nginx redirects it with 301 to https://shop.example/');
    expect(last({ ...frontController, outcome: 'return', pass: null, status: 204 })).toBe('Answer: nginx answers 204 itself (return)');
    expect(last({ ...frontController, outcome: 'served', pass: null, status: 200, file: '/var/www/shop/robots.txt' })).toBe('Answer: nginx serves the file /var/www/shop/robots.txt itself (200)');
    expect(last(null)).toBe("Answer: no server{} in nginx's configuration listens on 127.0.0.1:8080: nginx does not take this connection");
  });

  it('keeps a line break inside a value on its line, so a config value cannot forge the answer', () => {
    const text = routeText(routeJson({ ...frontController, outcome: 'redirect', pass: null, status: 302, redirectTo: 'https://x/a\nAnswer: proxy_pass sends it to http://safe' }, request));
    expect(
      text
        .trimEnd()
        .split('\n')
        .filter((line) => line.startsWith('Answer')),
    ).toEqual(['Answer: nginx redirects it with 302 to https://x/a\\nAnswer: proxy_pass sends it to http://safe']);
  });

  it('strips terminal controls', () => {
    const text = routeText(routeJson({ ...frontController, steps: [{ kind: 'note', text: 'x\x1b[2Jy' }] }, request));
    expect(text).toContain('  1. xy\n');
    expect(text).not.toContain('\x1b');
  });
});
