import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Directive, NginxConfig } from '../../../src/nginx/config-types.js';
import { headOf, LazyServer } from '../../../src/nginx/lazy-server.js';
import { passedAddresses, passedEndpoints, passedPorts } from '../../../src/nginx/passed-addresses.js';
import { configOfParsedFiles, parseDump, parseFiles, parseFileText } from '../../../src/nginx/parse-dump.js';
import { framedFiles } from '../../../src/nginx/read-check.js';
import { allErrorLogs, routeRequest } from '../../../src/nginx/route.js';
import { lazyFiles, makeDigest, type ServerDigest, textsOf } from '../../../src/nginx/server-digest.js';
import { warmConfig } from '../../../src/nginx/warm-config.js';
import { parseConfigRead } from '../../../src/system/config-read.js';

type Section = { file: string; text: string };

/** nginx -T's text split at its headers, each file without the newline nginx adds (for fixtures whose headers are all real). */
function sectionsOfDump(dump: string): Section[] {
  const parts = dump.split(/^# configuration file (.+):\n/m).slice(1);
  const sections: Section[] = [];
  for (let i = 0; i < parts.length; i += 2) sections.push({ file: parts[i]!, text: parts[i + 1]!.replace(/\n$/, '') });
  return sections;
}

const fixture = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

/** Real configs: the reader's own output, and nginx -T's of real sites (test/fixtures). */
function realConfigs(): { name: string; sections: Section[] }[] {
  const read = parseConfigRead({ argv: [], stdout: '', stderr: fixture('config-read/read.stderr'), code: 0, ms: 0 });
  if (read.kind !== 'read') throw new Error('the reader fixture is not a read');
  const framed = framedFiles(fixture('config-read/read.stdout'), read.files);
  if (typeof framed === 'string') throw new Error(framed);
  const dumps = ['debian-stock.txt', 'include-globs.txt', 'lookalike-headers.txt', 'proxy-upstream.txt'].map((name) => {
    const dump = fixture(`nginx-T/${name}`);
    const sections = sectionsOfDump(dump);
    // Only where the headers split the text as parseDump does (lookalike headers inside a file do not).
    const split = parseDump(dump).files.map((f) => f.file);
    return { name, sections: split.join('\n') === sections.map((s) => s.file).join('\n') ? sections : [] };
  });
  return [{ name: 'config-read', sections: framed }, ...dumps.filter((d) => d.sections.length > 0)];
}

/** A shared host's shapes: several servers a file, snippets with listen and server_name, patterns, logs, a file included twice. */
const SHAPES: Section[] = [
  {
    file: '/etc/nginx/nginx.conf',
    text: [
      'user www-data;',
      'events {}',
      'http {',
      '    error_log /var/log/nginx/error.log;',
      '    upstream app { server 127.0.0.1:9000; server unix:/run/app.sock; }',
      '    include /etc/nginx/sites-enabled/*;',
      '    include /etc/nginx/twice.conf;',
      '    include /etc/nginx/twice.conf;',
      '}',
    ].join('\n'),
  },
  {
    file: '/etc/nginx/sites-enabled/a.conf',
    text: [
      'server {',
      '    listen 80 default_server;',
      '    listen [::]:80 default_server;',
      '    server_name _;',
      '    return 444;',
      '}',
      'server {',
      '    include /etc/nginx/snippets/ssl.conf;',
      '    server_name Shop.Example.COM www.shop.example.com;',
      '    error_log /var/log/nginx/shop.error.log warn;',
      '    location / { proxy_pass http://app; }',
      '    location ~ \\.php$ { include /etc/nginx/snippets/php.conf; }',
      '}',
    ].join('\n'),
  },
  { file: '/etc/nginx/snippets/ssl.conf', text: 'listen 443 ssl;\nlisten 8443;' },
  { file: '/etc/nginx/snippets/php.conf', text: 'fastcgi_pass unix:/run/php/php8.2-fpm.sock;\nerror_log /var/log/nginx/php.log;' },
  {
    file: '/etc/nginx/sites-enabled/b.conf',
    text: [
      '# wildcards and a regex',
      'server { listen 127.0.0.1:8080; server_name *.wild.test .dot.test "~^(?<sub>\\w+)\\.re\\.test$"; location / { uwsgi_pass 127.0.0.1:3031; } }',
      'server { server_name no-listen.test; location /api/ { grpc_pass grpc://127.0.0.1:50051; } location /s { scgi_pass localhost:4000; } }',
      'server { listen unix:/run/nginx.sock; server_name sock.test; }',
    ].join('\n'),
  },
  { file: '/etc/nginx/sites-enabled/c.conf', text: 'upstream notvhost { server 10.250.0.9:80; }\nserver { listen 8081; server_name c.test; location / { proxy_pass http://notvhost; } }' },
  { file: '/etc/nginx/twice.conf', text: 'server { listen 8082; server_name twice.test; location / { proxy_pass http://127.0.0.1:7000/; } }' },
];

/** The config with every vhost file made from the digest, as a kept run makes it. */
async function lazyConfig(sections: Section[], digest: ServerDigest): Promise<{ config: NginxConfig; lazy: number }> {
  const lazy = await lazyFiles(digest, 'b1', textsOf(sections));
  if (!lazy) throw new Error('the digest did not fit');
  return { config: configOfParsedFiles(sections.map((s, i) => lazy.get(i) ?? parseFileText(s))), lazy: lazy.size };
}

const servers = (config: NginxConfig): Directive[] => {
  const out: Directive[] = [];
  const visit = (level: readonly Directive[]) => {
    for (const d of level) {
      // A lazy server's block is not asked for here: asking makes it.
      if (d instanceof LazyServer || (d.directive === 'server' && d.block)) out.push(d);
      else if (d.block) visit(d.block);
    }
  };
  visit(config.tree);
  return out;
};

/** Requests worth routing in a config: each port its servers listen on, with each of their names and one no server has. */
function requests(config: NginxConfig): { port: number; hostHeader: string; path: string }[] {
  const ports = new Set<number>([80]);
  const hosts = new Set<string>(['nobody.invalid', 'x.wild.test', 'dot.test', 'abc.re.test']);
  for (const server of servers(config)) {
    for (const listen of headOf(server, 'listen')) {
      const port = /(?:^|:)(\d+)$/.exec(listen.args[0] ?? '')?.[1];
      if (port) ports.add(Number(port));
    }
    for (const name of headOf(server, 'server_name').flatMap((d) => d.args)) if (!/[~*]/.test(name)) hosts.add(name.replace(/^\./, ''));
  }
  return [...ports].flatMap((port) => [...hosts].map((hostHeader) => ({ port, hostHeader, path: '/index.php' })));
}

describe('the server digest: a kept run makes the same config without parsing the vhosts', () => {
  const configs = [...realConfigs(), { name: 'shared-host shapes', sections: SHAPES }];

  it.each(configs.map((c) => [c.name, c.sections] as const))('%s: the same files, tree, errors, summaries and routes as the full parse', async (_name, sections) => {
    const eager = parseFiles(sections);
    expect(eager.errors).toEqual([]);
    const digest = makeDigest(eager, 'b1');
    expect(digest).not.toBeNull();
    const { config, lazy } = await lazyConfig(sections, digest!);
    expect(lazy).toBeGreaterThan(0);
    // Nothing but what is asked is read: each server's block is made when first read (toJSON reads them all).
    expect(servers(config).some((s) => s instanceof LazyServer)).toBe(true);
    expect(passedAddresses(config)).toEqual(passedAddresses(eager));
    expect(allErrorLogs(config, '/usr/share/nginx/')).toEqual(allErrorLogs(eager, '/usr/share/nginx/'));
    const head = (c: NginxConfig) => JSON.stringify(servers(c).map((s) => [headOf(s, 'listen'), headOf(s, 'server_name')]));
    expect(head(config)).toBe(head(eager));
    const routes = (c: NginxConfig) => JSON.stringify(requests(eager).map((r) => routeRequest(c, r)));
    expect(routes(config)).toBe(routes(eager));
    expect(JSON.stringify(config)).toBe(JSON.stringify(eager));
  });

  it('a warmed config routes as one that was not warmed, and names the same ports and endpoints', async () => {
    const eager = parseFiles(SHAPES);
    const { config } = await lazyConfig(SHAPES, makeDigest(eager, 'b1')!);
    warmConfig(config);
    expect([...passedPorts(config)]).toEqual([...passedPorts(eager)]);
    expect([...passedEndpoints(config)]).toEqual([...passedEndpoints(eager)]);
    expect(JSON.stringify(requests(eager).map((r) => routeRequest(config, r)))).toBe(JSON.stringify(requests(eager).map((r) => routeRequest(eager, r))));
  });

  it('sums up only files of server blocks, and nothing of a config with errors', async () => {
    const lazy = await lazyFiles(makeDigest(parseFiles(SHAPES), 'b1')!, 'b1', textsOf(SHAPES));
    expect([...lazy!.keys()].map((i) => SHAPES[i]!.file)).toEqual(['/etc/nginx/sites-enabled/a.conf', '/etc/nginx/sites-enabled/b.conf', '/etc/nginx/twice.conf']);
    const broken = parseFiles([...SHAPES.slice(0, -1), { file: '/etc/nginx/twice.conf', text: 'server { listen 8082' }]);
    expect(makeDigest(broken, 'b1')).toBeNull();
  });

  it('is not used by another build, for other files, or when it does not parse', async () => {
    const digest = makeDigest(parseFiles(SHAPES), 'b1')!;
    expect(await lazyFiles(digest, 'b2', textsOf(SHAPES))).toBeNull();
    const renamed = SHAPES.map((s) => (s.file.endsWith('b.conf') ? { ...s, file: '/etc/nginx/sites-enabled/B.conf' } : s));
    expect(await lazyFiles(digest, 'b1', textsOf(renamed))).toBeNull();
    expect(await lazyFiles({ ...digest, numbers: digest.numbers.slice(0, -2) }, 'b1', textsOf(SHAPES))).toBeNull();
    expect(await lazyFiles({ ...digest, strings: digest.strings.slice(0, 3) }, 'b1', textsOf(SHAPES))).toBeNull();
    expect(await lazyFiles({ ...digest, numbers: 'not numbers' as unknown as Int32Array }, 'b1', textsOf(SHAPES))).toBeNull();
  });

  it('a server whose file no longer holds it where the digest says is an error, not another server', async () => {
    const digest = makeDigest(parseFiles(SHAPES), 'b1')!;
    const moved = SHAPES.map((s) => (s.file.endsWith('twice.conf') ? { ...s, text: `\n${s.text}` } : s));
    const { config } = await lazyConfig(moved, digest);
    const twice = servers(config).find((s) => s.file === '/etc/nginx/twice.conf')!;
    expect(() => twice.block).toThrow(/does not match \/etc\/nginx\/twice\.conf/);
  });
});
