import { describe, expect, it } from 'vitest';
import { classifyMessage, parseErrorLog } from '../../../src/nginx/error-log.js';
import { fixture, fixtureNames } from './error-log-fixture.js';

// Each <kind>.log holds real lines nginx 1.22.1 wrote; listed here: kind (errno, detail) of every upstream line, oldest first.
const expected: Record<string, Array<[string, number | null, string?]>> = {
  'refused.log': [
    ['refused', 111],
    ['refused', 111, 'unix:/tmp/elog/stale.sock'],
  ],
  'no-route.log': [['no-route', 113]],
  'connect-timeout.log': [['connect-timeout', 110, 'connecting to upstream']],
  'permission-denied.log': [['permission-denied', 13, 'unix:/tmp/elog/php-locked.sock']],
  'no-such-file.log': [['no-such-file', 2, 'unix:/tmp/elog/php-missing.sock']],
  'network-unreachable.log': [['network-unreachable', 101, '10.250.9.9:80']],
  'read-timeout.log': [
    ['read-timeout', 110, 'reading response header from upstream'],
    ['read-timeout', 110, 'reading upstream'],
    ['read-timeout', 110, 'reading response header from upstream'],
  ],
  'send-timeout.log': [['send-timeout', 110, 'sending request to upstream']],
  'premature-close.log': [
    ['premature-close', null, 'reading response header from upstream'],
    ['premature-close', null, 'reading upstream'],
  ],
  'reset.log': [
    ['reset', 104, 'reading response header from upstream'],
    ['reset', 104, 'sending request to upstream'],
    ['reset', 104, 'reading response header from upstream'],
    ['reset', 104, 'reading response header from upstream'],
    ['reset', 104, 'sending request to upstream'],
  ],
  'invalid-header.log': [['invalid-header', null, 'X-Bad\\x00...']],
  'too-big-header.log': [['too-big-header', null]],
  'fastcgi-protocol.log': [['fastcgi-protocol', null, '72']],
  // grpc_pass at an HTTP/1 server (the lab, nginx 1.22.1): its HTTP/1 answer read as HTTP/2 frames.
  'http2-framing.log': [['http2-framing', null, '3940676']],
  'no-valid-http-header.log': [
    ['no-valid-http-header', null],
    ['no-valid-http-header', null],
  ],
  'no-live-upstreams.log': [
    ['refused', 111],
    ['refused', 111],
    ['no-live-upstreams', null],
  ],
  'tls-handshake.log': [
    ['tls-handshake', null, 'wrong version number'],
    ['tls-handshake', null, 'tlsv1 unrecognized name'],
    ['tls-handshake', null, 'tlsv1 alert protocol version'],
    ['tls-handshake', null, 'sslv3 alert handshake failure'],
    ['tls-handshake', null, 'sslv3 alert handshake failure'],
    ['tls-handshake', 110, 'timed out'],
    ['tls-handshake', 104, 'peer closed connection in SSL handshake'],
  ],
  'tls-verify.log': [
    ['tls-verify', null, 'self-signed certificate'],
    ['tls-verify', null, 'unable to verify the first certificate'],
    ['tls-verify', null, 'does not match "other.test"'],
  ],
  'dns.log': [
    ['dns', 3, 'nosuch.invalid'],
    ['dns', 111, 'resolver unreachable'],
    ['dns', 111, 'resolver unreachable'],
    ['dns', 110, 'other.invalid'],
    ['dns', null, 'nosuch-static.invalid'],
    ['dns', null, 'nosuch-static.invalid'],
    ['dns', null, 'norez.invalid'],
  ],
  'worker-connections.log': [
    ['worker-connections', null],
    ['worker-connections', null],
    ['worker-connections', null],
  ],
  'too-many-open-files.log': [
    ['too-many-open-files', 24],
    ['too-many-open-files', 24],
  ],
  'backlog-full.log': [
    ['backlog-full', 11, 'unix:/tmp/elog/php-tiny.sock'],
    ['backlog-full', 11, 'unix:/tmp/elog/php-tiny.sock'],
  ],
  'fastcgi-stderr.log': [
    ['fastcgi-stderr', null, 'Primary script unknown'],
    ['fastcgi-stderr', null, 'PHP message: PHP Warning:  PHP Request Startup: POST Content-Length of 30000000 bytes exceeds the limit of 8388608 bytes in Unknown on line 0; Primary script unknown'],
    ['fastcgi-stderr', null, 'PHP message: report job starting'],
  ],
};

describe('every kind from a real nginx 1.22 capture', () => {
  for (const [file, want] of Object.entries(expected)) {
    it(file, () => {
      const got = parseErrorLog(fixture(file)).map((e) => {
        const { detail } = classifyMessage(e.message);
        return detail === undefined ? [e.kind, e.errno] : [e.kind, e.errno, detail];
      });
      expect(got).toEqual(want.map((w) => (w[2] === undefined ? [w[0], w[1]] : w)));
    });
  }

  it('has an expectation for every fixture, and a fixture named after each kind it covers', () => {
    const files = fixtureNames().filter((f) => f !== 'mixed.log' && f !== 'not-upstream.log');
    expect(files.sort()).toEqual(Object.keys(expected).sort());
    for (const file of files) expect(expected[file]!.map((w) => w[0])).toContain(file.replace(/\.log$/, ''));
  });
});
