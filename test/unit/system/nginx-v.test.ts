import { describe, expect, it } from 'vitest';
import { nginxPaths, parseNginxV, splitShellWords } from '../../../src/system/nginx-v.js';
import { fixture } from './fixture.js';

describe('parseNginxV on Debian 12 nginx 1.22', () => {
  const v = parseNginxV(fixture('nginx-V-debian-1.22.stderr.txt'));

  it('reads the version and build lines', () => {
    expect(v.product).toBe('nginx');
    expect(v.version).toBe('1.22.1');
    expect(v.builtWith).toMatch(/^OpenSSL 3\.0\./);
    expect(v.tlsSni).toBe(true);
  });

  it('reads the paths configure recorded', () => {
    expect(v.configure).toMatchObject({
      '--prefix': '/usr/share/nginx',
      '--conf-path': '/etc/nginx/nginx.conf',
      '--error-log-path': 'stderr',
      '--http-log-path': '/var/log/nginx/access.log',
      '--pid-path': '/run/nginx.pid',
      '--modules-path': '/usr/lib/nginx/modules',
    });
    // Debian sets neither; the worker user comes from the config (user www-data;).
    expect(v.configure['--user']).toBeUndefined();
    expect(v.configure['--group']).toBeUndefined();
  });

  it('unquotes quoted values', () => {
    expect(v.configure['--with-cc-opt']).toBe(
      '-g -O2 -ffile-prefix-map=/build/reproducible-path/nginx-1.22.1=. -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2',
    );
    expect(v.configure['--with-ld-opt']).toBe('-Wl,-z,relro -Wl,-z,now -fPIC');
  });

  it('lists modules, dynamic ones marked', () => {
    expect(v.modules).toContain('http_ssl_module');
    expect(v.modules).toContain('http_v2_module');
    expect(v.modules).toContain('threads');
    expect(v.modules).toContain('stream');
    expect(v.dynamic).toEqual(['http_geoip_module', 'http_image_filter_module', 'http_perl_module', 'http_xslt_module', 'mail', 'stream', 'stream_geoip_module']);
    expect(v.modules).not.toContain('cc-opt');
    expect(v.modules).not.toContain('ld-opt');
    expect(v.addModules).toEqual([]);
  });

  it('fills in defaults that configure did not record', () => {
    expect(nginxPaths(v)).toEqual({
      prefix: '/usr/share/nginx',
      confPath: '/etc/nginx/nginx.conf',
      errorLogPath: 'stderr',
      httpLogPath: '/var/log/nginx/access.log',
      pidPath: '/run/nginx.pid',
      user: 'nobody',
      group: null,
    });
  });
});

describe('not this', () => {
  it('nginx -v has a version and nothing else', () => {
    const v = parseNginxV(fixture('nginx-v-lowercase-debian-1.22.stderr.txt'));
    expect(v.version).toBe('1.22.1');
    expect(v.args).toEqual([]);
    expect(v.configure).toEqual({});
    expect(nginxPaths(v).confPath).toBe('/usr/local/nginx/conf/nginx.conf');
  });

  it('a shell error is not nginx -V', () => {
    expect(parseNginxV(fixture('nginx-V-command-not-found.stderr.txt'))).toEqual({
      product: null,
      version: null,
      args: [],
      configure: {},
      modules: [],
      dynamic: [],
      addModules: [],
    });
  });
});

describe('splitShellWords', () => {
  it('groups quoted words and keeps escapes', () => {
    expect(splitShellWords(` --a='x y' --b="p \\"q\\"" --c=d\\ e  --f`)).toEqual(['--a=x y', '--b=p "q"', '--c=d e', '--f']);
  });
});
