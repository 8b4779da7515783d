import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTestFailure } from '../../../src/nginx/test-failure.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/nginx-T/${name}`, import.meta.url), 'utf8');

describe('parseTestFailure on real nginx -T stderr', () => {
  it.each([
    ['unknown-directive', 'unknown directive "proxy_passs"', '/tmp/bgw/fail/unknown-directive/nginx.conf', 6],
    ['missing-semicolon', 'unexpected "}"', '/tmp/bgw/fail/missing-semicolon/nginx.conf', 7],
    ['unexpected-eof', 'unexpected end of file, expecting "}"', '/tmp/bgw/fail/unexpected-eof/nginx.conf', 10],
    ['included-error', 'unexpected "}"', '/tmp/bgw/fail/included-error/conf.d/app.conf', 7],
    ['host-not-found', 'host not found in upstream "app.invalid:8000"', '/tmp/bgw/fail/host-not-found/nginx.conf', 4],
    ['missing-include', 'open() "/tmp/bgw/fail/missing-include/conf.d/app.conf" failed (2: No such file or directory)', '/tmp/bgw/fail/missing-include/nginx.conf', 3],
    ['unknown-user', 'getpwnam("nginx-app") failed', '/tmp/bgw/proxy/nginx.conf', 1],
  ])('%s (timestamped form, error log on stderr)', (name, message, file, line) => {
    expect(parseTestFailure(fixture(`${name}.stderr.txt`))).toEqual({ level: 'emerg', message, file, line });
  });

  it('reads the "nginx: [emerg]" form printed when the error log is a file', () => {
    expect(parseTestFailure(fixture('unknown-directive-file-log.stderr.txt'))).toEqual({
      level: 'emerg',
      message: 'unknown directive "proxy_passs"',
      file: '/tmp/bgw/fail/unknown-directive/nginx.conf',
      line: 6,
    });
  });

  it('returns a failure without a place, and not the [warn] before it that has one', () => {
    expect(parseTestFailure(fixture('nonroot-pid-denied.stderr.txt'))).toEqual({
      level: 'emerg',
      message: 'open() "/run/nginx.pid" failed (13: Permission denied)',
      file: null,
      line: null,
    });
  });

  it('prefers the [emerg] over an earlier non-fatal [alert]', () => {
    expect(parseTestFailure(fixture('alert-then-emerg.stderr.txt'))).toMatchObject({
      level: 'emerg',
      message: 'open() "/root/forbidden-error.log" failed (13: Permission denied)',
    });
  });

  it('falls back to an [alert] or [crit] when the test failed without an [emerg]', () => {
    const stderr = 'nginx: [crit] pread() "/etc/nginx/nginx.conf" failed (5: Input/output error)\nnginx: configuration file /etc/nginx/nginx.conf test failed\n';
    expect(parseTestFailure(stderr)).toEqual({ level: 'crit', message: 'pread() "/etc/nginx/nginx.conf" failed (5: Input/output error)', file: null, line: null });
  });

  it('reads a missing main config file', () => {
    expect(parseTestFailure(fixture('missing-main-conf.stderr.txt'))).toMatchObject({
      message: 'open() "/tmp/bgw/minimal/minimal/nginx.conf" failed (2: No such file or directory)',
      file: null,
    });
  });
});

describe('parseTestFailure: not a failure', () => {
  it('returns null for a successful test', () => {
    expect(parseTestFailure(fixture('success.stderr.txt'))).toBeNull();
  });

  it('returns null for an [alert] on an otherwise successful test', () => {
    const stderr = 'nginx: [alert] could not open error log file: open() "/root/nope.log" failed (13: Permission denied)\n' + fixture('success.stderr.txt');
    expect(parseTestFailure(stderr)).toBeNull();
  });

  it('ignores [warn] lines and mentions of [emerg] that are not at the start of a line', () => {
    const warn = '2026/11/21 13:03:12 [warn] 1#1: the "user" directive makes sense only if the master process runs with super-user privileges, ignored in /etc/nginx/nginx.conf:1\n';
    expect(parseTestFailure(warn + 'grep: nginx: [emerg] x in /a:1\n')).toBeNull();
  });

  it('copes with CRLF (output through a pty)', () => {
    expect(parseTestFailure(fixture('unknown-directive.stderr.txt').replace(/\n/g, '\r\n'))).toMatchObject({ line: 6 });
  });
});
