import { describe, expect, it } from 'vitest';
import { readResponseHead } from '../../../src/system/http-head.js';
import { headEnd, isUwsgiHeadProbe, parseUwsgiHead, uwsgiHeadProbeCommand, uwsgiRequestVars } from '../../../src/system/uwsgi-probe.js';
import { captured } from './fixture.js';

const sock = { kind: 'unix' as const, socket: '/run/uwsgi/app/shop/socket' };

describe("a uwsgi answer's head read byte for byte (captured from Debian uwsgi 2.0 in the lab)", () => {
  it('40 cookies: the head counted through its blank line, the body after it left out', () => {
    const head = parseUwsgiHead(captured('uwsgi-head-big'));
    expect(head).toMatchObject({ connected: true, end: 'head', headBytes: 9195 });
    expect(head.bytes.length).toBe(9203);
    expect(new TextDecoder('latin1').decode(head.bytes.slice(9195))).toBe('shop ok\n');
  });

  it('a header name with spaces: the bytes read as nginx reads them name the line', () => {
    const head = parseUwsgiHead(captured('uwsgi-head-odd-name'));
    expect(head.end).toBe('head');
    expect(readResponseHead(head.bytes).problem).toMatchObject({ line: 3, text: 'X Order Id: 7' });
  });

  it('no socket there: the connect error, nothing read', () => {
    expect(parseUwsgiHead(captured('uwsgi-head-connect-failed'))).toMatchObject({ connected: false, headBytes: null, end: 'connect-failed', message: '[Errno 2] No such file or directory' });
  });

  it('no python3: said so', () => {
    expect(parseUwsgiHead({ code: 127, stdout: '', stderr: 'timeout: failed to run command ‘python3’: No such file or directory' })).toMatchObject({ end: 'no-python' });
  });

  it('each fixture ran the command uwsgiHeadProbeCommand builds, and is told apart from the timing probe', () => {
    const argv = uwsgiHeadProbeCommand(sock, uwsgiRequestVars('/big', 'shop.example'), 5);
    expect(captured('uwsgi-head-big').argv).toEqual(argv);
    expect(isUwsgiHeadProbe({ argv })).toBe(true);
    expect(isUwsgiHeadProbe({ argv: captured('uwsgi-probe-answer-200').argv })).toBe(false);
  });

  it('the head ends at the first empty line, CRLF or a bare LF', () => {
    const bytes = (t: string) => new TextEncoder().encode(t);
    expect(headEnd(bytes('HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody'))).toBe(25);
    expect(headEnd(bytes('HTTP/1.1 200 OK\nA: b\n\nbody'))).toBe(22);
    expect(headEnd(bytes('HTTP/1.1 200 OK\r\nA: b\r\n'))).toBeNull();
  });
});
