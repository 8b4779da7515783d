import { describe, expect, it } from 'vitest';
import { parseUwsgiProbe, uwsgiProbeCommand, uwsgiRequestVars } from '../../../src/system/uwsgi-probe.js';
import { captured } from './fixture.js';

describe('a request in the uwsgi protocol, timed (captured from Debian uwsgi 2.0 in the lab)', () => {
  it('an answer: its status and the time to its first byte', () => {
    expect(parseUwsgiProbe(captured('uwsgi-probe-answer-200'))).toEqual({ status: 200, firstByteMs: 0.113, totalMs: 0.113 });
  });

  it('nothing within the time allowed: a timeout, with the time waited', () => {
    expect(parseUwsgiProbe(captured('uwsgi-probe-timeout'))).toMatchObject({ status: null, error: 'timeout', totalMs: 2002.112 });
  });

  it('no socket there: the connect error, no status', () => {
    expect(parseUwsgiProbe(captured('uwsgi-probe-connect-failed'))).toMatchObject({ status: null, error: 'other', message: '[Errno 2] No such file or directory' });
  });

  it('no python3 on the box: said so, not a timeout', () => {
    expect(parseUwsgiProbe(captured('uwsgi-probe-no-python3'))).toMatchObject({ status: null, error: 'no-python' });
  });

  it('each fixture ran exactly the command uwsgiProbeCommand builds, every value an argument of its own', () => {
    const sock = { kind: 'unix' as const, socket: '/run/uwsgi/app/shop/socket' };
    expect(captured('uwsgi-probe-answer-200').argv).toEqual(uwsgiProbeCommand(sock, uwsgiRequestVars('/', 'shop.example'), 5));
    expect(captured('uwsgi-probe-timeout').argv).toEqual(uwsgiProbeCommand(sock, uwsgiRequestVars('/slow?s=5', 'shop.example'), 2));
    expect(uwsgiRequestVars('/slow?s=5', 'shop.example')).toContainEqual(['QUERY_STRING', 's=5']);
    expect(() => uwsgiProbeCommand(sock, [['A=B', 'x']], 2)).toThrow(RangeError);
  });
});
