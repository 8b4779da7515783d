import { describe, expect, it } from 'vitest';
import { FCGI_GET_VALUES, isFastCgiRecord, isTlsRecord, parseRawProbe, rawProbeCommand, showBytes, startsWithHttp } from '../../../src/system/raw-probe.js';
import { run } from '../checks/closed-fixture.js';

const read = (name: string) => parseRawProbe(run(name));

describe('rawProbeCommand', () => {
  it('passes every value as a positional parameter, bytes that are not letters or digits as \\xHH', () => {
    const argv = rawProbeCommand('[::1]', 9000, 'GET /a b%\\ HTTP/1.0\r\n', { readSeconds: 1, block: 512, reads: 1 });
    expect(argv.slice(0, 8)).toEqual(['timeout', '-k', '1', '4', 'bash', '--norc', '-c', expect.stringContaining('/dev/tcp/$1/$2')]);
    expect(argv.slice(8)).toEqual(['raw-probe', '::1', '9000', 'GET\\x20\\x2fa\\x20b\\x25\\x5c\\x20HTTP\\x2f1\\x2e0\\x0d\\x0a', '1', '512', '1']);
    expect(rawProbeCommand('127.0.0.1', 9000, FCGI_GET_VALUES, { readSeconds: 1, block: 512, reads: 1 })[11]).toBe('\\x01\\x09\\x00\\x00\\x00\\x00\\x00\\x00');
  });

  it('refuses what is no host or port', () => {
    expect(() => rawProbeCommand('a b', 80, '', { readSeconds: 1, block: 1, reads: 1 })).toThrow(RangeError);
    expect(() => rawProbeCommand('127.0.0.1', 0, '', { readSeconds: 1, block: 1, reads: 1 })).toThrow(RangeError);
  });
});

describe('parseRawProbe on real exchanges', () => {
  it('php-fpm answers FCGI_GET_VALUES with a FastCGI record (type 10, GET_VALUES_RESULT)', () => {
    const probe = read('raw-fcgi-php-fpm');
    expect(probe).toMatchObject({ connected: true, end: 'closed', sendFailed: false });
    expect([...probe.bytes]).toEqual([1, 10, 0, 0, 0, 0, 0, 0]);
    expect(isFastCgiRecord(probe.bytes)).toBe(true);
  });

  it('not this: an HTTP server answers the same bytes with HTTP, a TLS server and python wait or close', () => {
    const nginx = read('raw-fcgi-nginx-http');
    expect(startsWithHttp(nginx.bytes)).toBe(true);
    expect(isFastCgiRecord(nginx.bytes)).toBe(false);
    expect(showBytes(nginx.bytes, 24)).toBe('HTTP/1.1 400 Bad Request...');
    expect(read('raw-fcgi-python-http-waits')).toMatchObject({ connected: true, end: 'quiet', bytes: new Uint8Array() });
    const tls = read('raw-fcgi-tls-server');
    expect(tls).toMatchObject({ connected: true, end: 'closed' });
    expect(tls.bytes.length).toBe(0);
  });

  it('a banner is shown as text, control bytes escaped', () => {
    const banner = read('raw-fcgi-ssh-banner');
    expect(showBytes(banner.bytes)).toBe('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\x0d\\x0a');
    expect(isTlsRecord(banner.bytes) || isFastCgiRecord(banner.bytes) || startsWithHttp(banner.bytes)).toBe(false);
  });

  it('no connection, and a peer that hangs up before our bytes are written', () => {
    expect(read('raw-fcgi-refused')).toMatchObject({ connected: false, end: 'refused' });
    expect(read('raw-http-php-fpm')).toMatchObject({ connected: true, sendFailed: true, end: 'closed' });
  });
});
