import { describe, expect, it } from 'vitest';
import type { FpmPool, KnownFacts } from '../../../../src/facts/keys.js';
import { PLANNERS } from '../../../../src/fixes/planners/index.js';
import { poolEdits } from '../../../../src/fixes/planners/sockets.js';
import { parseDump } from '../../../../src/nginx/parse-dump.js';

const CONF = '/etc/nginx/nginx.conf';

function config(line: string): KnownFacts {
  // The directive sits on line 2 of the dumped file (the "# configuration file" line is nginx -T's, not the file's).
  return { 'nginx.config': parseDump(`# configuration file ${CONF}:\nhttp { server { listen 80;\nlocation / { ${line} }\n} }\n`), 'upstream.place': { file: CONF, line: 2 } };
}

const bare: KnownFacts = {
  'service.manager': 'process',
  'service.unit': 'php-fpm pool www',
  'service.start': ['/usr/sbin/php-fpm8.2', '--daemonize', '--fpm-config', '/srv/fpm/php-fpm.conf'],
  'service.stop': ['kill', '-QUIT', '--', '42'],
  'service.restart': [],
  'service.reload': ['kill', '-USR2', '--', '42'],
  'nginx.test': ['nginx', '-t'],
  'nginx.reload': ['nginx', '-s', 'reload'],
  'nginx.workerUser': 'nobody',
};

const pool: FpmPool = {
  name: 'www',
  masterPid: 42,
  binary: '/usr/sbin/php-fpm8.2',
  conf: '/srv/fpm/php-fpm.conf',
  errorLog: '/srv/fpm/php-fpm.log',
  values: { listen: '/run/app/php.sock', 'listen.owner': 'root', user: 'www-data' },
  places: { listen: { file: '/srv/fpm/pool.d/www.conf', line: 4, text: 'listen = /run/app/php.sock' }, 'listen.owner': { file: '/srv/fpm/pool.d/www.conf', line: 5, text: 'listen.owner=root' } },
  section: { file: '/srv/fpm/pool.d/www.conf', line: 1 },
};

const plan = (name: string, facts: KnownFacts) => PLANNERS[name]?.plan(facts);

describe('socket-permission', () => {
  const facts: KnownFacts = {
    ...bare,
    'upstream.socket': '/run/app/php.sock',
    'socket.stat': { path: '/run/app/php.sock', exists: true, type: 'socket', owner: 'root', group: 'root', mode: '600' },
    'socket.blockedPath': '/run/app/php.sock',
    'nginx.workerGroups': ['nogroup'],
  };

  it('with the pool known: its listen.* lines (existing ones rewritten, missing ones after listen), a stopgap, then a restart', () => {
    const fix = plan('socket-permission', { ...facts, 'fpm.pool': pool });
    expect(fix?.edits).toEqual([
      expect.objectContaining({ file: '/srv/fpm/pool.d/www.conf', line: 5, before: 'listen.owner=root', after: 'listen.owner = www-data' }),
      expect.objectContaining({ file: '/srv/fpm/pool.d/www.conf', line: 4, before: 'listen = /run/app/php.sock', after: 'listen = /run/app/php.sock\nlisten.group = nogroup\nlisten.mode = 0660' }),
    ]);
    expect(fix?.commands.map((c) => [c.argv.join(' '), c.durable])).toEqual([
      ['chgrp nogroup -- /run/app/php.sock', false],
      ['chmod g+rw -- /run/app/php.sock', false],
      ['kill -QUIT -- 42', true],
      ['/usr/sbin/php-fpm8.2 --daemonize --fpm-config /srv/fpm/php-fpm.conf', true],
    ]);
    expect(fix?.commands[3]?.why).toMatch(/reload keeps the old socket/);
  });

  it('not this: a socket of another backend (no pool) gets the stopgap and a note, no pool edit', () => {
    const fix = plan('socket-permission', { ...facts, 'service.restart': ['supervisorctl', 'restart', 'app'] });
    expect(fix?.edits).toEqual([]);
    expect(fix?.commands.every((c) => !c.durable)).toBe(true);
    expect(fix?.notes.join('\n')).toContain('supervisorctl restart app');
  });

  it('a directory on the way blocks: search permission on it, nothing else', () => {
    const fix = plan('socket-permission', { ...facts, 'socket.blockedPath': '/run/app' });
    expect(fix?.commands.map((c) => c.argv.join(' '))).toEqual(['chmod o+x -- /run/app']);
  });

  it('pool edits skip settings already right, and give up without a listen line to anchor on', () => {
    expect(poolEdits(pool, { 'listen.owner': 'root' }, 'x')).toEqual([]);
    expect(poolEdits({ ...pool, places: {} }, { 'listen.mode': '0660' }, 'x')).toEqual([]);
  });
});

describe('socket paths and kinds', () => {
  it("socket-path: nginx dials the pool's socket (the pool alternative named by file:line)", () => {
    const fix = plan('socket-path', {
      ...bare,
      ...config('fastcgi_pass unix:/run/php/php8.1-fpm.sock;'),
      'upstream.socket': '/run/php/php8.1-fpm.sock',
      'upstream.target': 'unix:/run/php/php8.1-fpm.sock',
      'backend.listenInstead': '/run/app/php.sock',
      'fpm.pool': pool,
      'backend.hint': { pid: 42, binary: null, conf: null, names: [], label: 'x' },
    });
    expect(fix?.edits).toEqual([expect.objectContaining({ file: CONF, line: 2, before: 'fastcgi_pass unix:/run/php/php8.1-fpm.sock;', after: 'fastcgi_pass unix:/run/app/php.sock;' })]);
    expect(fix?.commands.map((c) => c.argv.join(' '))).toEqual(['nginx -t', 'nginx -s reload']);
    expect(fix?.notes.join('\n')).toContain('/srv/fpm/pool.d/www.conf:4');
  });

  it('socket-tcp-mismatch, proxy_pass with a URI: a socket path ends with ":" before the URI', () => {
    const toTcp = plan('socket-tcp-mismatch', {
      ...bare,
      ...config('proxy_pass http://unix:/run/app.sock:/api/;'),
      'upstream.kind': 'unix',
      'upstream.target': 'unix:/run/app.sock',
      'backend.listenInstead': '127.0.0.1:8000',
    });
    expect(toTcp?.edits[0]).toMatchObject({ before: 'proxy_pass http://unix:/run/app.sock:/api/;', after: 'proxy_pass http://127.0.0.1:8000/api/;' });
    const toUnix = plan('socket-tcp-mismatch', {
      ...bare,
      ...config('proxy_pass http://127.0.0.1:8000/api/;'),
      'upstream.kind': 'tcp',
      'upstream.target': '127.0.0.1:8000',
      'backend.listenInstead': '/run/app.sock',
    });
    expect(toUnix?.edits[0]).toMatchObject({ before: 'proxy_pass http://127.0.0.1:8000/api/;', after: 'proxy_pass http://unix:/run/app.sock:/api/;' });
    expect(toUnix?.notes.join('\n')).toContain('nobody');
  });

  it('a stopped backend is started first, then nginx reloads', () => {
    const fix = plan('socket-tcp-mismatch', {
      ...bare,
      ...config('fastcgi_pass 127.0.0.1:9000;'),
      'upstream.kind': 'tcp',
      'upstream.target': '127.0.0.1:9000',
      'backend.listenInstead': '/run/app/php.sock',
      'backend.hint': { pid: null, binary: null, conf: null, names: [], label: 'x' },
      'service.start': ['service', 'php8.2-fpm', 'start'],
    });
    expect(fix?.commands.map((c) => c.argv.join(' '))).toEqual(['service php8.2-fpm start', 'nginx -t', 'nginx -s reload']);
  });

  it('socket-missing: start it; a running master that lost its socket is restarted; no manager, no command', () => {
    const base = { ...bare, 'upstream.socket': '/run/app/php.sock' };
    expect(
      plan('socket-missing', { ...base, 'backend.hint': { pid: null, binary: null, conf: null, names: [], label: 'x' }, 'service.start': ['service', 'php8.2-fpm', 'start'] })?.commands.map((c) =>
        c.argv.join(' '),
      ),
    ).toEqual(['service php8.2-fpm start']);
    expect(plan('socket-missing', { ...base, 'backend.hint': { pid: 42, binary: null, conf: null, names: [], label: 'x' } })?.commands.map((c) => c.argv.join(' '))).toEqual([
      'kill -QUIT -- 42',
      '/usr/sbin/php-fpm8.2 --daemonize --fpm-config /srv/fpm/php-fpm.conf',
    ]);
    const none = plan('socket-missing', { ...base, 'service.start': [], 'service.stop': [] });
    expect(none?.commands).toEqual([]);
    expect(none?.notes[0]).toMatch(/nothing on this box showed which one/);
  });

  it("socket-missing for a pool whose config php-fpm's own test rejects: nothing started (it would fail), the line to correct named, then the start", () => {
    const rejected: FpmPool = { ...pool, masterPid: null, rejected: "[/srv/fpm/pool.d/www.conf:8] unknown entry 'pm.max_childs'" };
    const fix = plan('socket-missing', {
      ...bare,
      'upstream.socket': '/run/app/php.sock',
      'fpm.pool': rejected,
      'backend.hint': { pid: null, binary: null, conf: null, names: [], label: 'x' },
      'service.start': ['service', 'php8.2-fpm', 'start'],
    });
    expect(fix?.commands).toEqual([]);
    expect(fix?.notes[0]).toBe(
      "php-fpm will not start with this config: [/srv/fpm/pool.d/www.conf:8] unknown entry 'pm.max_childs'. Correct that line first (/usr/sbin/php-fpm8.2 -t --fpm-config /srv/fpm/php-fpm.conf checks it), then service php8.2-fpm start; nothing is started for you until then, since it would fail.",
    );
  });
});

describe('stale-dns', () => {
  const facts: KnownFacts = { ...bare, 'upstream.host': 'app.test', 'upstream.place': { file: CONF, line: 3 }, 'dns.now': '127.0.0.3', 'dns.used': '127.0.0.2' };

  it('reloads (tested first), and explains the variable + resolver way on nginx 1.22', () => {
    const fix = plan('stale-dns', { ...facts, 'nginx.version': '1.22.1' });
    expect(fix?.commands.map((c) => c.argv.join(' '))).toEqual(['nginx -t', 'nginx -s reload']);
    expect(fix?.notes.join('\n')).toContain('set $backend app.test;');
    expect(fix?.notes.join('\n')).toContain('/etc/hosts');
  });

  it('names the upstream `resolve` parameter from nginx 1.27.3 on', () => {
    expect(plan('stale-dns', { ...facts, 'nginx.version': '1.27.3' })?.notes.join('\n')).toContain('server app.test:PORT resolve;');
    expect(plan('stale-dns', { ...facts, 'nginx.version': '1.26.2' })?.notes.join('\n')).not.toContain('server app.test:PORT resolve;');
  });
});
