import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../src/facts/keys.js';
import type { CommandResult } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local.js';
import { nginxConfig } from '../../src/checks/nginx-config.js';
import { parseDump } from '../../src/nginx/parse-dump.js';
import { configFromRead } from '../../src/nginx/read-check.js';
import { configReadCommand, parseConfigRead } from '../../src/system/config-read.js';
import { freePort } from './lab/ports.js';
import { start, waitForPort } from './lab/processes.js';
import { labScope } from './lab/scope.js';

const lab = labScope();
const host = new LocalHost();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Box {
  dir: string;
  /** The running master's arguments, as ps shows them (what nginx.find hands on). */
  args: string[];
  pid: number;
  port: number;
}

/** Writes files (a value starting with "-> " is a symlink to the rest), then starts a real nginx on them. */
async function boxWith(files: (dir: string, port: number) => Record<string, string>, args: (dir: string) => string[]): Promise<Box> {
  const dir = lab.scratchDir('bgw-read-');
  const port = await freePort();
  for (const [path, text] of Object.entries(files(dir, port))) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    if (text.startsWith('-> ')) symlinkSync(text.slice(3), join(dir, path));
    else writeFileSync(join(dir, path), text);
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  // The reader trusts files that changed before nginx's workers started (with 50 ms to spare).
  await sleep(120);
  const started = lab.own(start('nginx', [...args(dir), '-g', 'daemon off;']));
  await waitForPort('127.0.0.1', port, 'nginx');
  return { dir, args: [...args(dir), '-g', 'daemon off;'], pid: started.pid, port };
}

const nginxT = (box: Box): CommandResult => {
  const stdout = execFileSync('nginx', [...box.args, '-T'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { argv: ['nginx', ...box.args, '-T'], stdout, stderr: '', code: 0, ms: 0 };
};

const read = (box: Box) => host.run(configReadCommand('nginx', box.pid, box.args));

const main = (dir: string, port: number, http: string) => `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ${dir}/tmp-body;
    proxy_temp_path ${dir}/tmp-proxy;
    fastcgi_temp_path ${dir}/tmp-fastcgi;
    uwsgi_temp_path ${dir}/tmp-uwsgi;
    scgi_temp_path ${dir}/tmp-scgi;
    server { listen 127.0.0.1:${port}; server_name main.test; }
${http}
}
`;

/** Debian's layout, and every include shape nginx allows in it. */
const debian = (dir: string, port: number): Record<string, string> => ({
  'nginx.conf': main(
    dir,
    port,
    `    include modules-enabled/*.conf;
    include mime.types;
    # include conf.d/never.conf;
    include conf.d/*.conf;
    include ${dir}/sites-enabled/*;
    map $uri $flag { default 0; include snippets/map.conf; }`,
  ),
  'mime.types': 'types {\n    text/html html;\n    include snippets/more-types;\n}\n',
  'snippets/more-types': 'application/json json;',
  'snippets/map.conf': '/a 1;\n',
  'conf.d/B.conf': 'upstream up_b { server 127.0.0.1:9; include snippets/upstream-extra.conf; }\n',
  'conf.d/a.conf': '# lower case sorts after upper case in byte order\n',
  'conf.d/_z.conf': 'proxy_read_timeout 31s;\n',
  'conf.d/10-x.conf': "include 'snippets/quoted.conf';\n",
  'conf.d/9-y.conf': 'proxy_connect_timeout 7s; include snippets/one-line.conf; gzip off;\n',
  'conf.d/.hidden.conf': 'this is not nginx syntax and never read;\n',
  'conf.d/ignored.txt': 'not matched by *.conf;\n',
  'snippets/upstream-extra.conf': 'keepalive 4;\n',
  'snippets/quoted.conf': 'proxy_send_timeout 9s;\n',
  'snippets/one-line.conf': 'proxy_buffering on;',
  'snippets/proxy.conf': 'proxy_set_header Host $host;\ninclude snippets/nested.conf;\n',
  'snippets/nested.conf': 'proxy_set_header X-Nested 1;\n',
  'sites-available/default': `server {\n    listen 127.0.0.1:${port} default_server;\n    server_name _;\n    include snippets/proxy.conf;\n    location / {\n        include snippets/proxy.conf;\n        proxy_pass http://up_b;\n    }\n}\n`,
  'sites-available/shop.example': `server {\n    listen 127.0.0.1:${port};\n    server_name shop.example;\n    location /api/ { include snippets-rel/../snippets-rel/api.conf; proxy_pass http://127.0.0.1:9; }\n}\n`,
  'snippets-rel/api.conf': 'proxy_set_header X-Api 1;\n',
  'sites-enabled/default': '-> ../sites-available/default',
  'sites-enabled/shop.example': `-> ${dir}/sites-available/shop.example`,
});

const facts = (box: Box): KnownFacts => ({
  'nginx.binary': 'nginx',
  'nginx.args': box.args,
  'nginx.masterPid': box.pid,
  processes: [{ pid: box.pid, ppid: 1, user: 'root', args: 'nginx: master process' }],
});

describe('reading the files nginx loaded, against nginx -T on the same files', () => {
  it("Debian's layout: byte for byte what nginx -T prints, and the same parsed config", async () => {
    const box = await boxWith(debian, (dir) => ['-p', `${dir}/`, '-c', 'nginx.conf']);
    const run = await read(box);
    const dumped = nginxT(box);
    const manifest = parseConfigRead(run);
    expect(manifest.kind, run.stderr).toBe('read');
    expect(run.stdout).toBe(dumped.stdout);
    const config = parseDump(run.stdout);
    expect(config).toEqual(parseDump(dumped.stdout));
    expect(config.errors).toEqual([]);
    if (manifest.kind === 'read') expect(configFromRead(run.stdout, manifest)).toEqual({ config: parseDump(dumped.stdout) });
    // glob(3)'s byte order (digits, upper case, underscore, lower case), no dot-file, each file once.
    expect(config.files.map((f) => f.file.slice(box.dir.length + 1))).toEqual([
      'nginx.conf',
      'mime.types',
      'snippets/more-types',
      'conf.d/10-x.conf',
      'snippets/quoted.conf',
      'conf.d/9-y.conf',
      'snippets/one-line.conf',
      'conf.d/B.conf',
      'snippets/upstream-extra.conf',
      'conf.d/_z.conf',
      'conf.d/a.conf',
      'sites-enabled/default',
      'snippets/proxy.conf',
      'snippets/nested.conf',
      'sites-enabled/shop.example',
      'snippets-rel/../snippets-rel/api.conf',
      'snippets/map.conf',
    ]);
  });

  it('an absolute -c and no -p: the prefix from nginx -V, relative includes against the main file', async () => {
    const box = await boxWith(
      (dir, port) => ({
        'etc/nginx.conf': main(dir, port, '    include conf.d/*.conf;\n    include snippets/x.conf;'),
        'etc/conf.d/one.conf': 'gzip on;\n',
        'etc/snippets/x.conf': 'gzip_min_length 100;\n',
      }),
      (dir) => ['-c', `${dir}/etc/nginx.conf`],
    );
    const run = await read(box);
    expect(parseConfigRead(run).kind, run.stderr).toBe('read');
    expect(run.stdout).toBe(nginxT(box).stdout);
  });

  it('a file changed since nginx loaded it: the reader hands over to nginx -T, which then says what is on disk', async () => {
    const box = await boxWith(debian, (dir) => ['-p', `${dir}/`, '-c', 'nginx.conf']);
    const now = new Date();
    utimesSync(join(box.dir, 'snippets/nested.conf'), now, now);
    const run = await read(box);
    expect(parseConfigRead(run)).toEqual({ kind: 'dumped', reason: 'the files changed since nginx loaded them' });
    expect(run.stdout).toBe(nginxT(box).stdout);
    expect(nginxConfig.plan(facts(box), [run])).toEqual([]);
    expect(nginxConfig.interpret(facts(box), [run]).outcome).toBe('valid');
  });

  it('a file added to a globbed folder since: nginx -T as well', async () => {
    const box = await boxWith(debian, (dir) => ['-p', `${dir}/`, '-c', 'nginx.conf']);
    writeFileSync(join(box.dir, 'conf.d', 'new.conf'), 'gzip_vary on;\n');
    const run = await read(box);
    expect(parseConfigRead(run).kind).toBe('dumped');
    expect(run.stdout).toBe(nginxT(box).stdout);
  });

  it('an include the reader cannot see (split over lines): the parser notices, and the check asks nginx -T', async () => {
    const box = await boxWith(
      (dir, port) => ({ 'nginx.conf': main(dir, port, '    include\n        snippets/split.conf;'), 'snippets/split.conf': 'gzip on;\n' }),
      (dir) => ['-p', `${dir}/`, '-c', 'nginx.conf'],
    );
    const run = await read(box);
    const manifest = parseConfigRead(run);
    expect(manifest.kind).toBe('read');
    if (manifest.kind === 'read') expect(configFromRead(run.stdout, manifest)).toEqual({ mismatch: expect.stringMatching(/split\.conf/) });
    const dumped = nginxT(box);
    expect(nginxConfig.plan(facts(box), [run])).toEqual([{ argv: ['nginx', ...box.args, '-T'], timeoutMs: 20_000 }]);
    const result = nginxConfig.interpret(facts(box), [run, dumped]);
    expect(result.outcome).toBe('valid');
    expect(result.facts['nginx.config']).toEqual(parseDump(dumped.stdout));
  });

  it('a file that will not read (a directory matched by a glob): nginx -T says so, as before', async () => {
    const box = await boxWith(
      (dir, port) => ({ 'nginx.conf': main(dir, port, '    include conf.d/*.conf;'), 'conf.d/a.conf': 'gzip on;\n' }),
      (dir) => ['-p', `${dir}/`, '-c', 'nginx.conf'],
    );
    mkdirSync(join(box.dir, 'conf.d', 'b.conf'));
    const run = await read(box);
    expect(parseConfigRead(run).kind).toBe('dumped');
    expect(run.code).not.toBe(0);
    expect(nginxConfig.interpret(facts(box), [run]).outcome).toBe('invalid');
  });
});
