import { describe, expect, it } from 'vitest';
import { keepAliveProbeCommand, parseKeepAliveProbe } from '../../../src/system/keepalive-probe.js';
import { run } from '../checks/closed-fixture.js';

const probe = (name: string) => parseKeepAliveProbe(run(name));

describe('keepAliveProbeCommand', () => {
  it('puts host, port, path, Host header and wait in positional parameters', () => {
    const argv = keepAliveProbeCommand('[::1]', 8000, '/api/x?a=%41', 'shop.test', 7);
    // The wait, then 3 s for an answer when the connection is used again, and a margin.
    expect(argv.slice(0, 7)).toEqual(['timeout', '-k', '1', '16', 'bash', '--norc', '-c']);
    expect(argv.slice(8)).toEqual(['keepalive-probe', '::1', '8000', '/api/x?a=%41', 'shop.test', '7', '0']);
    expect(keepAliveProbeCommand('127.0.0.1', 8000, '/', 'x', 2, true).at(-1)).toBe('1');
  });

  it('refuses a path or Host that could break the request line', () => {
    expect(() => keepAliveProbeCommand('127.0.0.1', 80, '/a b', 'x', 3)).toThrow(RangeError);
    expect(() => keepAliveProbeCommand('127.0.0.1', 80, '/a', 'x\r\nEvil: 1', 3)).toThrow(RangeError);
    expect(() => keepAliveProbeCommand('127.0.0.1', 80, 'a', 'x', 3)).toThrow(RangeError);
  });
});

describe('parseKeepAliveProbe on real backends', () => {
  it('a backend with a 1 s idle timeout closes the connection about 1000 ms after its answer', () => {
    const p = probe('keepalive-race-backend');
    expect(p).toMatchObject({ connected: true, status: 'HTTP/1.1 200 OK', closed: true, keepsAlive: true, connection: null });
    expect(p.idleMs).toBeGreaterThanOrEqual(950);
    expect(p.idleMs).toBeLessThan(1200);
  });

  it('nginx with keepalive_timeout 2s 2s says so in Keep-Alive, and closes after 2 s', () => {
    const p = probe('keepalive-nginx-header-2s');
    expect(p).toMatchObject({ closed: true, keepsAlive: true, connection: 'keep-alive', keepAliveHeader: 'timeout=2' });
    expect(p.idleMs).toBeGreaterThanOrEqual(1900);
    expect(p.idleMs).toBeLessThan(2300);
  });

  it('not this: still open when our wait ends', () => {
    const p = probe('keepalive-nginx-open');
    expect(p).toMatchObject({ closed: false, keepsAlive: true });
    expect(p.idleMs).toBeGreaterThanOrEqual(2900);
  });

  it('not this: an HTTP/1.0 backend closes after every answer; it keeps nothing alive', () => {
    const p = probe('keepalive-python-http10');
    expect(p).toMatchObject({ status: 'HTTP/1.0 200 OK', closed: true, keepsAlive: false });
    expect(p.idleMs).toBeLessThan(100);
  });

  it('not this: no HTTP at all, and nothing listening', () => {
    expect(probe('keepalive-php-fpm')).toMatchObject({ connected: true, status: null, closed: true, idleMs: null, keepsAlive: false });
    expect(probe('keepalive-refused')).toMatchObject({ connected: false, status: null, idleMs: null });
  });
});
