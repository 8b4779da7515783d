import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import type { Nginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const lab = labScope();

interface Site {
  nginx: Nginx;
  docroot: string;
  apiPort: number;
  fpmPort: number;
  url: (path: string) => string;
  /** The line of the config that holds this text (the lab writes the whole config into one file). */
  line: (text: string) => number;
}

/**
 * A PHP site in the front-controller shape WordPress and Laravel document, beside an API proxy, a
 * redirect, a return, a header condition and static files. Nothing listens on the backends' ports: the
 * route never sends the request, and real nginx proves each answer by naming the upstream it failed on.
 */
async function site(): Promise<Site> {
  const docroot = lab.scratchDir('bgw-route-root-');
  writeFileSync(join(docroot, 'index.php'), '<?php echo "front controller";\n');
  writeFileSync(join(docroot, 'robots.txt'), 'User-agent: *\n');
  const [apiPort, fpmPort] = [await freePort(), await freePort()];
  const nginx = await lab.nginx({
    server: `
        root ${docroot};
        index index.php;
        location /api/ {
            proxy_pass http://127.0.0.1:${apiPort}/api/;
        }
        location = /old {
            return 301 https://example.org/new;
        }
        location = /health {
            return 200 "ok";
        }
        location = /debug {
            if ($http_x_debug) {
                return 418;
            }
            return 204;
        }
        location / {
            try_files $uri $uri/ /index.php?$args;
        }
        location ~ \\.php$ {
            fastcgi_pass 127.0.0.1:${fpmPort};
        }`,
  });
  const lines = readFileSync(nginx.confFile, 'utf8').split('\n');
  return {
    nginx,
    docroot,
    apiPort,
    fpmPort,
    url: (path) => `http://127.0.0.1:${nginx.port}${path}`,
    line: (text) => {
      const index = lines.findIndex((l) => l.includes(text));
      if (index < 0) throw new Error(`no line with ${text} in ${nginx.confFile}`);
      return index + 1;
    },
  };
}

async function route(url: string, ...more: string[]): Promise<{ code: number; json: any; stderr: string }> {
  const run = await runCli(['route', '--json', '--url', url, ...more]);
  let json: unknown;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    throw new Error(`badgateway route --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { code: run.code, json, stderr: run.stderr };
}

/** What real nginx does with the request: its status and Location, and the upstream its error log names. */
async function nginxSays(s: Site, path: string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | null; upstream: string | null }> {
  const answer = await fetch(s.url(path), { redirect: 'manual', headers, signal: AbortSignal.timeout(5000) });
  await answer.arrayBuffer();
  const logged = readFileSync(s.nginx.errorLog, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`request: "GET ${path} HTTP`));
  return { status: answer.status, location: answer.headers.get('location'), upstream: /upstream: "([^"]+)"/.exec(logged.at(-1) ?? '')?.[1] ?? null };
}

describe('badgateway route', () => {
  it('proxied: the location, proxy_pass with file:line and its target as nginx evaluates it', async () => {
    const s = await site();
    expect(await nginxSays(s, '/api/orders')).toMatchObject({ status: 502, upstream: `http://127.0.0.1:${s.apiPort}/api/orders` });
    const { code, json } = await route(s.url('/api/orders'));
    expect(code).toBe(0);
    expect(json).toMatchObject({
      outcome: 'proxied',
      server: { file: s.nginx.confFile, line: s.line('server {') },
      location: { file: s.nginx.confFile, line: s.line('location /api/ {') },
      pass: { directive: 'proxy_pass', file: s.nginx.confFile, line: s.line('proxy_pass'), target: `http://127.0.0.1:${s.apiPort}/api/` },
      status: null,
      decided: true,
    });
    expect(json.steps.length).toBeGreaterThan(0);
  });

  it('front controller: GET / goes through try_files $uri/ and index index.php to fastcgi_pass', async () => {
    const s = await site();
    expect(await nginxSays(s, '/')).toMatchObject({ status: 502, upstream: `fastcgi://127.0.0.1:${s.fpmPort}` });
    const { code, json } = await route(s.url('/'));
    expect(code).toBe(0);
    expect(json).toMatchObject({
      outcome: 'proxied',
      location: { file: s.nginx.confFile, line: s.line('location ~ \\.php$') },
      pass: { directive: 'fastcgi_pass', file: s.nginx.confFile, line: s.line('fastcgi_pass'), target: `127.0.0.1:${s.fpmPort}` },
      status: null,
      uri: '/index.php',
      unknownPaths: [],
    });
    const kinds = json.steps.map((step: { kind: string }) => step.kind);
    expect(kinds).toContain('try_files');
    expect(kinds).toContain('index');
  });

  it('front controller: a pretty URL with no file falls back to /index.php and fastcgi_pass', async () => {
    const s = await site();
    expect(await nginxSays(s, '/blog/hello?x=1')).toMatchObject({ status: 502, upstream: `fastcgi://127.0.0.1:${s.fpmPort}` });
    const { json } = await route(s.url('/blog/hello?x=1'));
    expect(json).toMatchObject({
      outcome: 'proxied',
      location: { line: s.line('location ~ \\.php$') },
      pass: { directive: 'fastcgi_pass', line: s.line('fastcgi_pass'), target: `127.0.0.1:${s.fpmPort}` },
    });
  });

  it('served: a file that exists is served by try_files $uri', async () => {
    const s = await site();
    expect(await nginxSays(s, '/robots.txt')).toMatchObject({ status: 200, upstream: null });
    const { code, json } = await route(s.url('/robots.txt'));
    expect(code).toBe(0);
    expect(json).toMatchObject({ outcome: 'served', location: { line: s.line('location / {') }, pass: null, file: join(s.docroot, 'robots.txt') });
  });

  it('redirect and return: the status, the Location, and where the return is written', async () => {
    const s = await site();
    expect(await nginxSays(s, '/old')).toMatchObject({ status: 301, location: 'https://example.org/new' });
    const redirect = await route(s.url('/old'));
    expect(redirect.code).toBe(0);
    expect(redirect.json).toMatchObject({ outcome: 'redirect', status: 301, redirectTo: 'https://example.org/new', pass: null, location: { line: s.line('location = /old') } });
    expect(redirect.json.steps).toContainEqual(expect.objectContaining({ file: s.nginx.confFile, line: s.line('return 301') }));

    expect(await nginxSays(s, '/health')).toMatchObject({ status: 200 });
    const answered = await route(s.url('/health'));
    expect(answered.json).toMatchObject({ outcome: 'return', status: 200, pass: null, location: { line: s.line('location = /health') } });
  });

  it('--header: an if on a request header is decided by the headers given', async () => {
    const s = await site();
    expect((await nginxSays(s, '/debug', { 'X-Debug': '1' })).status).toBe(418);
    expect((await nginxSays(s, '/debug')).status).toBe(204);
    expect((await route(s.url('/debug'), '--header', 'X-Debug: 1')).json).toMatchObject({ outcome: 'return', status: 418, decided: true });
    expect((await route(s.url('/debug'))).json).toMatchObject({ outcome: 'return', status: 204, decided: true });
  });

  it('a Host header picks the server by name; the URL host alone leaves the default server', async () => {
    const s = await site();
    expect((await route(s.url('/health'), '--header', 'Host: lab.test')).json).toMatchObject({ serverName: 'lab.test', serverBy: 'exact', request: { host: 'lab.test' } });
    expect((await route(s.url('/health'))).json).toMatchObject({ serverBy: 'default', request: { host: `127.0.0.1:${s.nginx.port}` } });
  });

  it('prints a trail a person reads: the server, each step with file:line, the answer in one line', async () => {
    const s = await site();
    const run = await runCli(['route', '--url', s.url('/'), '--header', 'Host: lab.test']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`Server lab.test (${s.nginx.confFile}:${s.line('server {')}): server_name lab.test is the Host header exactly`);
    expect(run.stdout).toContain(`(${s.nginx.confFile}:${s.line('try_files')})`);
    expect(run.stdout).toMatch(/^\s+\d+\. .*index/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`Answer: fastcgi_pass sends it to 127.0.0.1:${s.fpmPort} (${s.nginx.confFile}:${s.line('fastcgi_pass')})`);
    expect(run.stdout).not.toContain('\x1b');
  });

  it('no-server: a port nothing listens on', async () => {
    await site();
    const port = await freePort();
    const { code, json } = await route(`http://127.0.0.1:${port}/`);
    expect(code).toBe(0);
    expect(json).toMatchObject({ outcome: 'no-server', server: null, location: null, pass: null, status: null });
    expect(json.reason).toContain(`${port}`);
  });

  it('bad input exits 2 with the usage, and no stack trace', async () => {
    const noUrl = await runCli(['route', '--json']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('route needs the request: --url URL');
    const badUrl = await runCli(['route', '--url', 'ftp://127.0.0.1/']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('only http:// and https:// URLs');
    expect(badUrl.stderr).not.toContain('    at ');
  });

  it('an SSH target that cannot be reached exits 3 with the reason, and no stack trace', async () => {
    const port = await freePort();
    const run = await runCli(['route', '--json', '--url', 'http://127.0.0.1/', '--ssh', `root@127.0.0.1:${port}`]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^badgateway: /);
    expect(run.stderr).not.toContain('    at ');
  });
});
