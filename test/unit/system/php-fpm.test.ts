import { describe, expect, it } from 'vitest';
import { parsePs } from '../../../src/system/ps.js';
import { binaryFor, fpmIncludes, fpmServiceNames, includeSearch, poolAddressForNginx, parseFpmIni, parseFpmListen, parseFpmTest, phpFpmMasters, poolPlaces } from '../../../src/system/php-fpm.js';
import { fixture } from '../checks/fixtures.js';

describe('php-fpm masters in ps', () => {
  it('reads the config of each master from its title, and not its pool children', () => {
    const masters = phpFpmMasters(parsePs(fixture('php-fpm/ps-two-masters.txt')));
    expect(masters).toEqual([
      { pid: 9829, conf: '/tmp/fpmcap/a/php-fpm.conf' },
      { pid: 9830, conf: '/tmp/fpmcap/b/php-fpm.conf' },
      { pid: 31560, conf: '/tmp/cc/fpm/php-fpm.conf' },
    ]);
  });

  it('not this: nginx, python and kernel threads are no php-fpm master', () => {
    expect(phpFpmMasters(parsePs(fixture('system/ps-nginx-phpfpm-python.txt'))).map((m) => m.pid)).toEqual([11275]);
    expect(phpFpmMasters(parsePs(fixture('service/ps-pm2-children.txt')))).toEqual([]);
  });
});

describe('php-fpm -tt', () => {
  it('reads every pool with its effective values (a socket only root may open)', () => {
    const test = parseFpmTest(fixture('php-fpm/tt-one-pool-root-socket.stderr.txt'));
    expect(test.ok).toBe(true);
    expect(test.errors).toEqual([]);
    expect(test.global.error_log).toBe('/tmp/fpmcap/a/php-fpm.log');
    expect(test.pools).toHaveLength(1);
    expect(test.pools[0]?.name).toBe('shop');
    expect(test.pools[0]?.values).toMatchObject({
      listen: '/tmp/fpmcap/run/shop.sock',
      'listen.owner': 'root',
      'listen.group': 'root',
      'listen.mode': '0600',
      user: 'www-data',
      request_terminate_timeout: '30s',
    });
    // "undefined" is php-fpm's word for unset.
    expect(test.pools[0]?.values).not.toHaveProperty('listen.acl_users');
  });

  it("expands $pool and reads pools from the main file and from includes, in php-fpm's order", () => {
    const test = parseFpmTest(fixture('php-fpm/tt-two-pools-tcp-unix.stderr.txt'));
    expect(test.pools.map((p) => [p.name, p.values.listen])).toEqual([
      ['api', '/tmp/fpmcap/run/api.sock'],
      ['main', '127.0.0.1:9071'],
    ]);
    expect(test.pools[0]?.values.request_terminate_timeout).toBe('120s');
  });

  it("Debian's stock config: pool www on /run/php/php8.2-fpm.sock, log /var/log/php8.2-fpm.log", () => {
    const test = parseFpmTest(fixture('php-fpm/tt-debian-stock.stderr.txt'));
    expect(test.global.error_log).toBe('/var/log/php8.2-fpm.log');
    expect(test.pools[0]?.values).toMatchObject({ listen: '/run/php/php8.2-fpm.sock', 'listen.owner': 'www-data', 'listen.group': 'www-data' });
  });

  it('not this: a config php-fpm refuses has no pools, and says why', () => {
    const bad = parseFpmTest(fixture('php-fpm/tt-unknown-entry.stderr.txt'));
    expect(bad.ok).toBe(false);
    expect(bad.pools).toEqual([]);
    expect(bad.errors[0]).toBe("[/tmp/fpmcap/c/pool.d/www.conf:5] unknown entry 'pm.max_childs'");
    const missing = parseFpmTest(fixture('php-fpm/tt-missing-conf.stderr.txt'));
    expect(missing.ok).toBe(false);
    expect(missing.errors[0]).toMatch(/failed to open configuration file/);
    expect(parseFpmTest('')).toEqual({ ok: false, global: {}, pools: [], errors: [] });
  });
});

describe('php-fpm ini files', () => {
  it("finds each setting's line, as written, across the main file and the pool files", () => {
    const files = [
      { file: '/tmp/fpmcap/b/php-fpm.conf', text: fixture('php-fpm/conf/b/php-fpm.conf') },
      { file: '/tmp/fpmcap/b/pool.d/api.conf', text: fixture('php-fpm/conf/b/pool.d/api.conf') },
    ];
    const places = poolPlaces(files);
    expect(places.get('api')?.section).toEqual({ file: '/tmp/fpmcap/b/pool.d/api.conf', line: 1 });
    // The commented-out listen line does not count.
    expect(places.get('api')?.places.listen).toEqual({ file: '/tmp/fpmcap/b/pool.d/api.conf', line: 4, text: 'listen = /tmp/fpmcap/run/$pool.sock' });
    expect(places.get('main')?.places.listen).toEqual({ file: '/tmp/fpmcap/b/php-fpm.conf', line: 10, text: 'listen = 127.0.0.1:9071' });
    expect(places.get('main')?.places['listen.mode']).toBeUndefined();
  });

  it("Debian's pool file: listen at line 41, its owner and group at 53 and 54; comments skipped", () => {
    const places = poolPlaces([{ file: '/etc/php/8.2/fpm/pool.d/www.conf', text: fixture('php-fpm/conf/debian/pool.d/www.conf') }]);
    expect(places.get('www')?.places).toMatchObject({
      listen: { line: 41, text: 'listen = /run/php/php8.2-fpm.sock' },
      'listen.owner': { line: 53 },
      'listen.group': { line: 54 },
      user: { line: 28 },
    });
    expect(places.get('www')?.places['listen.mode']).toBeUndefined();
  });

  it('include lines, and the find arguments that list them', () => {
    expect(fpmIncludes(parseFpmIni(fixture('php-fpm/conf/debian/php-fpm.conf')))).toEqual(['/etc/php/8.2/fpm/pool.d/*.conf']);
    expect(includeSearch('/etc/php/8.2/fpm/pool.d/*.conf')).toEqual({ dir: '/etc/php/8.2/fpm/pool.d', name: '*.conf' });
    // not this: a relative include depends on php-fpm's compiled prefix; a glob in a directory cannot be listed by find -name.
    expect(includeSearch('pool.d/*.conf')).toBeNull();
    expect(includeSearch('/etc/php/*/fpm/pool.d/*.conf')).toBeNull();
  });

  it('quoted values lose their quotes; a line that is no setting is skipped', () => {
    const [, pool] = parseFpmIni('[www]\nlisten = "/run/a b.sock"\nnot a setting\nenv[PATH] = /bin\n');
    expect(pool?.entries.map((e) => [e.key, e.value])).toEqual([
      ['listen', '/run/a b.sock'],
      ['env[PATH]', '/bin'],
    ]);
  });
});

describe('listen values and binaries', () => {
  it('reads every listen form php-fpm takes', () => {
    expect(parseFpmListen('/run/php/php8.2-fpm.sock')).toEqual({ kind: 'unix', path: '/run/php/php8.2-fpm.sock' });
    expect(parseFpmListen('9000')).toEqual({ kind: 'tcp', host: null, port: 9000 });
    expect(parseFpmListen('127.0.0.1:9071')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9071 });
    expect(parseFpmListen('[::1]:9000')).toEqual({ kind: 'tcp', host: '::1', port: 9000 });
    expect(parseFpmListen('0.0.0.0:9000')).toEqual({ kind: 'tcp', host: null, port: 9000 });
    expect(parseFpmListen('nonsense')).toBeNull();
    expect(poolAddressForNginx({ kind: 'tcp', host: null, port: 9000 })).toBe('127.0.0.1:9000');
    expect(poolAddressForNginx({ kind: 'tcp', host: '::1', port: 9000 })).toBe('[::1]:9000');
    expect(poolAddressForNginx({ kind: 'unix', path: '/x.sock' })).toBe('unix:/x.sock');
  });

  it('pairs an installed config with the binary of its version', () => {
    const binaries = fixture('php-fpm/find-binaries.txt').trim().split('\n');
    expect(binaryFor('/etc/php/8.2/fpm/php-fpm.conf', binaries)).toBe('/usr/sbin/php-fpm8.2');
    expect(binaryFor('/etc/php/7.4/fpm/php-fpm.conf', ['/usr/sbin/php-fpm8.2', '/usr/sbin/php-fpm7.4'])).toBe('/usr/sbin/php-fpm7.4');
    expect(binaryFor('/etc/php-fpm.conf', ['/usr/sbin/php-fpm'])).toBe('/usr/sbin/php-fpm');
    // not this: a config of a version whose binary is not installed.
    expect(binaryFor('/etc/php/7.4/fpm/php-fpm.conf', ['/usr/sbin/php-fpm8.2', '/usr/sbin/php-fpm8.1'])).toBeNull();
  });

  it('names the services a binary usually has', () => {
    expect(fpmServiceNames('/usr/sbin/php-fpm8.2')).toEqual(['php8.2-fpm', 'php-fpm']);
    expect(fpmServiceNames('/usr/sbin/php-fpm')).toEqual(['php-fpm']);
    expect(fpmServiceNames('/opt/remi/php82/root/usr/sbin/php-fpm')).toEqual(['php82-php-fpm', 'php-fpm']);
  });
});
