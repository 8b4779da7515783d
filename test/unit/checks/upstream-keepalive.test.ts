import { describe, expect, it } from 'vitest';
import { upstreamKeepalive } from '../../../src/checks/upstream-keepalive.js';
import type { KnownFacts, UpstreamError } from '../../../src/facts/keys.js';
import { keepAliveSetup, suggestKeepAliveTimeout } from '../../../src/nginx/keepalive.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { routeRequest } from '../../../src/nginx/route.js';
import { run, text } from './closed-fixture.js';

const config = parseDump(text('nginx-T-keepalive.txt'));
const FILE = '/tmp/cc/kt/nginx.conf';

function facts(path: string, module = 'proxy', upstream = 'http://127.0.0.1:38484/x'): KnownFacts {
  return {
    'nginx.config': config,
    'request.url': `http://keepalive.test:38410${path}`,
    'request.port': 38410,
    'request.path': path,
    'request.hostHeader': 'keepalive.test:38410',
    'upstream.module': module,
    'upstream.target': upstream.replace(/^\w+:\/\//, '').split('/')[0]!,
    'upstream.kind': 'tcp',
    'error.latest': { time: '2026/11/21 13:25:07', level: 'error', errno: null, kind: 'premature-close', message: 'upstream prematurely closed connection', upstream, line: '' } as UpstreamError,
  };
}

const setup = (path: string) => keepAliveSetup(config, routeRequest(config, { port: 38410, hostHeader: 'keepalive.test', path })!);

describe('keepAliveSetup: does nginx reuse idle connections for this location?', () => {
  it('a group with keepalive, HTTP/1.1 and Connection cleared: yes, for 60s by default', () => {
    expect(setup('/api/orders')).toMatchObject({ group: 'reused', cache: { size: 4, place: { file: FILE, line: 8 } }, timeoutMs: 60_000, timeoutPlace: null, blockedBy: null });
    expect(setup('/timed/x')).toMatchObject({ timeoutMs: 30_000, timeoutPlace: { file: FILE, line: 13 }, blockedBy: null });
    expect(setup('/x.php')).toMatchObject({ group: 'php', blockedBy: null });
  });

  it('not this: each missing piece says why connections are not reused', () => {
    expect(setup('/old/x').blockedBy).toMatch(/proxy_http_version is 1.0/);
    expect(setup('/close/x').blockedBy).toMatch(/Connection: close/);
    expect(setup('/plain/x').blockedBy).toMatch(/no keepalive directive/);
    expect(setup('/direct/x').blockedBy).toMatch(/does not pass to an upstream/);
    expect(setup('/php-nokeep/x').blockedBy).toMatch(/fastcgi_keep_conn is off/);
  });

  it('suggests a timeout safely below the backend', () => {
    expect(suggestKeepAliveTimeout(1000)).toBe('500ms');
    expect(suggestKeepAliveTimeout(2001)).toBe('1s');
    expect(suggestKeepAliveTimeout(5004)).toBe('4s');
    expect(suggestKeepAliveTimeout(150)).toBe('100ms');
  });
});

describe('upstream.keepalive', () => {
  it('probes the server that failed, for a wait bounded by nginx timeout and 15 s', () => {
    const probes = upstreamKeepalive.plan(facts('/api/orders'), []);
    expect(probes[0]!.argv.slice(8)).toEqual(['keepalive-probe', '127.0.0.1', '38484', '/x', 'keepalive.test:38410', '15', '1']);
    // Beside the long wait, connections used again after 1, 2, 4 and 8 s idle (all under nginx's 60s).
    expect(probes.map((p) => p.argv.at(-2))).toEqual(['15', '1', '2', '4', '8']);
    // nginx at 1s: a wait of 2 s, and a reuse only below nginx's own timeout, so none.
    expect(upstreamKeepalive.plan(facts('/short/a', 'proxy', 'http://127.0.0.1:38487/a'), []).map((p) => p.argv.at(-2))).toEqual(['2']);
    expect(upstreamKeepalive.plan(facts('/old/x'), [])).toEqual([]);
  });

  it('a backend that closes after 1 s under nginx default 60s: backend-closes-first, keepalive_timeout goes after keepalive', () => {
    const result = upstreamKeepalive.interpret(facts('/api/orders'), [run('keepalive-race-backend')]);
    expect(result.outcome).toBe('backend-closes-first');
    expect(result.facts).toMatchObject({ 'keepalive.nginxMs': 60_000, 'keepalive.place': { file: FILE, line: 8 }, 'keepalive.timeoutSet': false, 'keepalive.suggested': '500ms' });
    expect(result.facts['keepalive.backendMs']).toBeGreaterThan(950);
  });

  it('a backend that never closes idle connections but drops one used again after 2 s: bracketed by the reuses (captured)', () => {
    const runs = ['15s', '1s', '2s', '4s', '8s'].map((w) => run(`keepalive-lazy-reuse-${w}`));
    const result = upstreamKeepalive.interpret(facts('/api/orders'), runs);
    expect(result.outcome).toBe('backend-closes-first');
    // Answered after 1.6 s idle, dropped after 3.6 s: nginx must give up idle connections within 1 s.
    expect(result.facts['keepalive.suggested']).toBe('1s');
    expect(result.facts['keepalive.backendMs']).toBeGreaterThan(3000);
    expect(result.facts['keepalive.behaviour']).toMatch(
      /^never closes an idle connection by itself, but drops one unanswered when it is used again after \d+ ms idle \(after \d+ ms it still answered\)$/,
    );
  });

  it('not this: the same backend with every reuse answered keeps the idle connection as long as we waited', () => {
    const answered = ['15s', '1s', '2s'].map((w) => {
      const r = run(`keepalive-lazy-reuse-${w}`);
      return { ...r, stdout: r.stdout.replace(/^reused closed /m, 'reused answered ') };
    });
    expect(upstreamKeepalive.interpret(facts('/api/orders'), answered).outcome).not.toBe('backend-closes-first');
  });

  it('nginx at 30s against a backend at 2s: the written keepalive_timeout is the line to change', () => {
    const result = upstreamKeepalive.interpret(facts('/timed/x', 'proxy', 'http://127.0.0.1:38487/x'), [run('keepalive-nginx-header-2s')]);
    expect(result.outcome).toBe('backend-closes-first');
    expect(result.facts).toMatchObject({ 'keepalive.place': { file: FILE, line: 13 }, 'keepalive.timeoutSet': true, 'keepalive.suggested': '1s' });
  });

  it('not this: the backend outlasts nginx, or we could not wait long enough to know', () => {
    expect(upstreamKeepalive.interpret(facts('/short/x', 'proxy', 'http://127.0.0.1:38487/x'), [run('keepalive-nginx-header-2s')]).outcome).toBe('backend-outlasts');
    expect(upstreamKeepalive.interpret(facts('/timed/x', 'proxy', 'http://127.0.0.1:38481/x'), [run('keepalive-nginx-open')]).outcome).toBe('not-measurable');
  });

  it('not this: a backend that closes after every answer, no HTTP at all, or no keepalive in nginx', () => {
    expect(upstreamKeepalive.interpret(facts('/api/x', 'proxy', 'http://127.0.0.1:38480/x'), [run('keepalive-python-http10')]).outcome).toBe('no-keepalive');
    expect(upstreamKeepalive.interpret(facts('/x.php', 'fastcgi', 'fastcgi://127.0.0.1:38490'), [run('keepalive-php-fpm')]).outcome).toBe('not-measurable');
    const old = upstreamKeepalive.interpret(facts('/old/x'), []);
    expect(old.outcome).toBe('no-keepalive');
    expect(old.summary).toMatch(/proxy_http_version/);
  });
});
