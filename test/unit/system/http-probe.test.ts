import { describe, expect, it } from 'vitest';
import { httpProbeCommand, parseHttpProbe, HTTP_PROBE_FORMAT, type HttpProbeError } from '../../../src/system/http-probe.js';
import { captured, fixtureNames } from './fixture.js';

/** What each real run must read as: status, error, curl's exit status. */
const EXPECTED: Record<string, { status: number | null; error?: HttpProbeError; curlExit: number }> = {
  'http-probe-200-python': { status: 200, curlExit: 0 },
  'http-probe-200-nginx-ipv6-proxy': { status: 200, curlExit: 0 },
  'http-probe-502-nginx-dead-backend': { status: 502, curlExit: 0 },
  'http-probe-502-from-backend-itself': { status: 502, curlExit: 0 },
  'http-probe-200-big-header': { status: 200, curlExit: 0 },
  'http-probe-unix-socket-nginx': { status: 200, curlExit: 0 },
  'http-probe-refused': { status: null, error: 'refused', curlExit: 7 },
  'http-probe-empty-reply': { status: null, error: 'empty-reply', curlExit: 52 },
  'http-probe-reset': { status: null, error: 'reset', curlExit: 56 },
  'http-probe-close-unread-request-reset': { status: null, error: 'reset', curlExit: 56 },
  'http-probe-unix-socket-http-to-php-fpm': { status: null, error: 'reset', curlExit: 56 },
  'http-probe-timeout': { status: null, error: 'timeout', curlExit: 28 },
  'http-probe-connect-timeout-netns': { status: null, error: 'timeout', curlExit: 28 },
  'http-probe-tls-to-plain-http': { status: null, error: 'tls', curlExit: 35 },
  'http-probe-dns-nxdomain-invalid': { status: null, error: 'dns', curlExit: 6 },
  // curl 7.88 says "Couldn't connect to server" for all three: only the TCP probe tells them apart.
  'http-probe-no-route-netns': { status: null, error: 'refused', curlExit: 7 },
  'http-probe-unreachable-netns': { status: null, error: 'refused', curlExit: 7 },
};

describe('parseHttpProbe on real curl 7.88 runs', () => {
  it('every captured run has an expectation', () => {
    expect(fixtureNames('http-probe-').sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name} -> ${want.status ?? want.error}`, () => {
      const run = captured(name);
      const got = parseHttpProbe(run);
      expect(got.status).toBe(want.status);
      expect(got.error).toBe(want.error);
      expect(got.curlExit).toBe(want.curlExit);
      expect(run.code).toBe(want.curlExit);
      if (want.error === undefined) expect(got.message).toBeUndefined();
      else expect(got.message).toBeTruthy();
    });
  }

  it('reads timings and sizes', () => {
    expect(parseHttpProbe(captured('http-probe-200-python'))).toEqual({
      status: 200,
      totalMs: 10.136,
      firstByteMs: 9.914,
      headerBytes: 184,
      remoteIp: '127.0.0.1',
      remotePort: 38101,
      curlExit: 0,
    });
    expect(parseHttpProbe(captured('http-probe-502-nginx-dead-backend'))).toMatchObject({ status: 502, headerBytes: 157, remotePort: 38110 });
    expect(parseHttpProbe(captured('http-probe-200-nginx-ipv6-proxy'))).toMatchObject({ remoteIp: '::1' });
    const timeout = parseHttpProbe(captured('http-probe-timeout'));
    expect(timeout.totalMs).toBeGreaterThanOrEqual(1000);
    expect(timeout.message).toBe('Operation timed out after 1000 milliseconds with 0 bytes received');
  });

  it('over a unix socket curl reports the path as the remote address', () => {
    expect(parseHttpProbe(captured('http-probe-unix-socket-nginx'))).toMatchObject({ remoteIp: '/tmp/bgcap/nginx2.sock', remotePort: 80 });
  });

  it('no connection means no remote address', () => {
    expect(parseHttpProbe(captured('http-probe-refused'))).toMatchObject({ remoteIp: null, remotePort: null, headerBytes: 0 });
  });

  it('not this: a 502 from nginx is an answer, not a probe error', () => {
    expect(parseHttpProbe(captured('http-probe-502-nginx-dead-backend')).error).toBeUndefined();
  });

  it('each fixture ran exactly the command httpProbeCommand builds', () => {
    for (const name of Object.keys(EXPECTED)) {
      const { argv } = captured(name);
      const curl = argv.slice(argv.indexOf('curl'));
      const url = curl.at(-1)!;
      const opt = (flag: string) => (curl.includes(flag) ? curl[curl.indexOf(flag) + 1] : undefined);
      const host = opt('-H')?.replace(/^Host: /, '');
      const unixSocket = opt('--unix-socket');
      const rebuilt = httpProbeCommand(url, {
        timeoutSeconds: Number(opt('--max-time')),
        ...(host !== undefined ? { hostHeader: host } : {}),
        ...(unixSocket !== undefined ? { unixSocket } : {}),
        insecure: curl.includes('-k'),
      });
      expect(curl).toEqual(rebuilt);
    }
  });
});

describe('parseHttpProbe without a -w line', () => {
  // Not captured output: the shape of a result when curl never got to print its line.
  it('falls back on the exit status and the last stderr line', () => {
    expect(parseHttpProbe({ code: 127, stdout: '', stderr: 'bash: line 1: curl: command not found\n' })).toEqual({
      status: null,
      totalMs: null,
      firstByteMs: null,
      headerBytes: null,
      remoteIp: null,
      remotePort: null,
      curlExit: 127,
      error: 'other',
      message: 'bash: line 1: curl: command not found',
    });
    expect(parseHttpProbe({ code: null, stdout: '', stderr: '' })).toMatchObject({ error: 'other', message: 'curl did not finish' });
  });
});

describe('httpProbeCommand', () => {
  it('builds a quiet, non-following, time-limited curl', () => {
    expect(httpProbeCommand('http://127.0.0.1:8080/x?y=[1]', { timeoutSeconds: 5 })).toEqual([
      'curl',
      '-q',
      '-sS',
      '-o',
      '/dev/null',
      '--globoff',
      '--noproxy',
      '*',
      '--max-time',
      '5',
      '-w',
      HTTP_PROBE_FORMAT,
      '--url',
      'http://127.0.0.1:8080/x?y=[1]',
    ]);
    expect(HTTP_PROBE_FORMAT).toContain('%{errormsg}');
    expect(HTTP_PROBE_FORMAT).toContain('%{exitcode}');
  });

  it('adds the Host header, a unix socket and -k when asked', () => {
    const argv = httpProbeCommand('https://app.example/', { timeoutSeconds: 2, hostHeader: 'app.example', unixSocket: '/run/app.sock', insecure: true });
    expect(argv.slice(12)).toEqual(['--unix-socket', '/run/app.sock', '-H', 'Host: app.example', '-k', '--url', 'https://app.example/']);
    expect(argv).not.toContain('-L');
  });

  it('refuses line breaks and bad timeouts', () => {
    expect(() => httpProbeCommand('http://x/', { timeoutSeconds: 1, hostHeader: 'a\r\nX-Evil: 1' })).toThrow(RangeError);
    expect(() => httpProbeCommand('http://x/\n', { timeoutSeconds: 1 })).toThrow(RangeError);
    expect(() => httpProbeCommand('http://x/', { timeoutSeconds: 0 })).toThrow(RangeError);
  });
});

describe('size_header: how big a response header is', () => {
  it('counts every header byte of a backend that sends ~9 KB of cookies', () => {
    expect(parseHttpProbe(captured('http-probe-200-big-header')).headerBytes).toBe(9291);
  });

  it('not this: a plain answer has a small header', () => {
    expect(parseHttpProbe(captured('http-probe-502-from-backend-itself')).headerBytes).toBe(147);
  });
});
