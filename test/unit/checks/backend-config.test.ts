import { describe, expect, it } from 'vitest';
import { backendConfig, rankPools } from '../../../src/checks/backend-config.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { answerFpm } from '../facts/fpm-answers.js';
import { fixture, ran, runPlan } from './fixtures.js';

const SS = 'ss -Hltnxp';

function nginxConfig(pass: string, extra = ''): KnownFacts['nginx.config'] {
  return parseDump(`# configuration file /etc/nginx/nginx.conf:\nhttp {\n  server { listen 80; location / { fastcgi_pass ${pass}; } }\n${extra}}\n`);
}

function facts(target: string, extra = ''): KnownFacts {
  const unix = target.startsWith('unix:');
  const port = Number(target.slice(target.lastIndexOf(':') + 1));
  return {
    'upstream.kind': unix ? 'unix' : 'tcp',
    'upstream.target': target,
    'upstream.module': 'fastcgi',
    ...(unix ? { 'upstream.socket': target.slice(5) } : { 'upstream.host': target.slice(0, target.lastIndexOf(':')), 'upstream.port': port }),
    'nginx.config': nginxConfig(target, extra),
    'nginx.masterPid': 1,
  };
}

function check(f: KnownFacts) {
  const done = runPlan(
    (d) => backendConfig.plan(f, d),
    (argv) => (argv.join(' ') === SS ? ran(argv, fixture('php-fpm/ss-php-fpm.txt')) : answerFpm(argv)),
  );
  return backendConfig.interpret(f, done);
}

describe('backend.config: where is the backend set up to listen?', () => {
  it('same: a pool is configured for the very socket nginx dials', () => {
    const result = check(facts('unix:/tmp/fpmcap/run/shop.sock'));
    expect(result.outcome).toBe('same');
    expect(result.facts['fpm.pool']?.name).toBe('shop');
    expect(result.facts['backend.hint']).toMatchObject({ pid: 9829, conf: '/tmp/fpmcap/a/php-fpm.conf', names: ['php8.2-fpm', 'php-fpm'] });
  });

  it("same, stopped: Debian's pool for /run/php/php8.2-fpm.sock, with no master running", () => {
    const result = check(facts('unix:/run/php/php8.2-fpm.sock'));
    expect(result.outcome).toBe('same');
    expect(result.facts['backend.hint']).toMatchObject({ pid: null, binary: '/usr/sbin/php-fpm8.2', conf: '/etc/php/8.2/fpm/php-fpm.conf' });
    expect(result.summary).toContain('not running');
  });

  it('other-socket: the pools in that directory make other sockets; a person may pick which', () => {
    const result = check(facts('unix:/tmp/fpmcap/run/old.sock'));
    expect(result.outcome).toBe('other-socket');
    expect(result.facts['backend.listenInstead']).toBe('/tmp/fpmcap/run/shop.sock');
    expect(result.ask?.alternatives.map((a) => a.label)).toEqual(expect.arrayContaining([expect.stringContaining('pool api'), expect.stringContaining('None of these')]));
  });

  it('a pool another site of this nginx already uses is not this backend', () => {
    const result = check(facts('unix:/tmp/fpmcap/run/old.sock', 'server { listen 81; location / { fastcgi_pass unix:/tmp/fpmcap/run/shop.sock; } }\n'));
    expect(result.facts['backend.listenInstead']).toBe('/tmp/fpmcap/run/api.sock');
  });

  it('tcp: nginx dials a socket elsewhere, the running pool that listens on TCP comes first', () => {
    const result = check(facts('unix:/srv/app/php.sock'));
    expect(result.outcome).toBe('tcp');
    expect(result.facts['backend.listenInstead']).toBe('127.0.0.1:9071');
  });

  it('unix: nginx dials TCP where no pool is; running pools listen on sockets', () => {
    const result = check(facts('127.0.0.1:9000'));
    expect(result.outcome).toBe('unix');
    expect(result.facts['backend.listenInstead']).toMatch(/^\/tmp\/fpmcap\/run\/(shop|api)\.sock$/);
  });

  it('same over TCP: the pool on 127.0.0.1:9071', () => {
    expect(check(facts('127.0.0.1:9071')).outcome).toBe('same');
  });

  it('not this: a proxy_pass backend never reads php-fpm, and an unknown socket stays unknown', () => {
    const f = { ...facts('unix:/srv/app/app.sock'), 'upstream.module': 'proxy' };
    const plan = backendConfig.plan(f, []);
    expect(plan.map((c) => c.argv[0])).toEqual(['ss', 'ps']);
    const result = backendConfig.interpret(f, [ran(['ss', '-Hltnxp'], fixture('php-fpm/ss-php-fpm.txt')), ran(['ps', '-eo', 'pid=,ppid=,user:32=,args='], fixture('php-fpm/ps-two-masters.txt'))]);
    expect(result.outcome).toBe('unknown');
    expect(result.facts['backend.hint']?.pid).toBeNull();
    // The TCP listener might be it: only a person can say.
    expect(result.ask?.alternatives[0]?.outcome).toBe('unknown');
    expect(result.ask?.alternatives.some((a) => a.outcome === 'tcp')).toBe(true);
  });

  it("the box's only HTTP application server on the other kind of address is the backend (captured: gunicorn on TCP, nginx dials a socket)", () => {
    const f = { ...facts('unix:/run/shop/gunicorn.sock'), 'upstream.module': 'proxy', 'nginx.masterPid': 43 };
    const result = backendConfig.interpret(f, [
      ran(['ss', '-Hltnxp'], fixture('service/ss-gunicorn-tcp-box.txt')),
      ran(['ps', '-eo', 'pid=,ppid=,user:32=,args='], fixture('service/ps-gunicorn-tcp-box.txt')),
    ]);
    expect(result.outcome).toBe('tcp');
    expect(result.facts['backend.listenInstead']).toBe('127.0.0.1:8000');
    expect(result.ask).toBeUndefined();
  });

  it("ranks a running pool in nginx's socket directory first", () => {
    const pool = (name: string, listen: string, masterPid: number | null) => ({ name, masterPid, binary: 'php-fpm', conf: '/c', errorLog: null, values: { listen }, places: {}, section: null });
    const ranked = rankPools([pool('far', '/srv/x.sock', 1), pool('tcp', '127.0.0.1:9000', 1), pool('near-stopped', '/run/php/a.sock', null), pool('near', '/run/php/b.sock', 1)], {
      kind: 'unix',
      path: '/run/php/c.sock',
    });
    expect(ranked.map((p) => p.name)).toEqual(['near', 'tcp', 'far', 'near-stopped']);
  });
});
