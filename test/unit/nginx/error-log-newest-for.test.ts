import { describe, expect, it } from 'vitest';
import { newestFor, parseErrorLog } from '../../../src/nginx/error-log.js';
import { fixture } from './error-log-fixture.js';

const text = fixture('mixed.log');
const errors = parseErrorLog(text);
const conn = (e: { line: string } | null): string | null => (e ? /\*(\d+) /.exec(e.line)![1]! : null);

describe('newestFor on a real mixed log', () => {
  it('without a filter, the newest upstream error', () => {
    expect(conn(newestFor(errors, {}))).toBe('144');
  });

  it('matches the path without the query string, or the whole target when given one', () => {
    expect(conn(newestFor(errors, { path: '/refused' }))).toBe('127');
    expect(conn(newestFor(errors, { path: '/refused?item=42' }))).toBe('127');
    expect(newestFor(errors, { path: '/refused?item=1' })).toBeNull();
    expect(newestFor(errors, { path: '/refuse' })).toBeNull();
  });

  it('does not pick an older line for another host or server', () => {
    expect(conn(newestFor(errors, { host: 'api.test' }))).toBe('141');
    expect(conn(newestFor(errors, { server: 'API.test', path: '/v1/slow' }))).toBe('122');
    expect(newestFor(errors, { path: '/v1/users', host: 'shop.test' })).toBeNull();
    expect(conn(newestFor(errors, { path: '/slow', host: 'shop.test' }))).toBe('120');
  });

  it('never returns the static open() failure', () => {
    expect(newestFor(errors, { path: '/missing.html' })).toBeNull();
    expect(newestFor(errors, { path: '/favicon.ico' })).toBeNull();
  });

  it('prefers a real failure over a newer FastCGI stderr line, and falls back to it', () => {
    const upToStderr = parseErrorLog(text.slice(0, text.indexOf('*133 upstream timed out')));
    expect(upToStderr.at(-1)!.kind).toBe('fastcgi-stderr');
    expect(newestFor(upToStderr, { server: 'shop.test' })!.kind).toBe('permission-denied');
    expect(newestFor(errors, { path: '/php-unknown' })).toMatchObject({ kind: 'fastcgi-stderr' });
    expect(newestFor(errors, { path: '/report' })).toMatchObject({ kind: 'read-timeout' });
  });

  it('matches the upstream address as given', () => {
    expect(conn(newestFor(errors, { upstream: '127.0.0.1:18009' }))).toBe('141');
    expect(conn(newestFor(errors, { upstream: 'http://127.0.0.1:18009/' }))).toBe('141');
    expect(conn(newestFor(errors, { upstream: '127.0.0.1:18001' }))).toBe('137');
    expect(conn(newestFor(errors, { upstream: 'pool' }))).toBe('140');
    expect(conn(newestFor(errors, { upstream: '127.0.0.1' }))).toBe('144');
    expect(conn(newestFor(errors, { upstream: 'unix:/tmp/elog/php-locked.sock' }))).toBe('129');
    expect(conn(newestFor(errors, { upstream: 'fastcgi://unix:/tmp/elog/php-locked.sock:' }))).toBe('129');
    expect(newestFor(errors, { upstream: '/tmp/elog/php-open.sock', path: '/report' })).toMatchObject({ kind: 'read-timeout' });
    expect(conn(newestFor(errors, { upstream: 'norez.invalid:80' }))).toBe('143');
    expect(newestFor(errors, { upstream: '127.0.0.1:9' })).toBeNull();
  });

  it('compares the Host header port only when the line carries one', () => {
    // Real lines whose Host header had no port; the second is the same line as a client sending "host:port" would log it.
    const line = errors.find((e) => conn(e) === '141')!.line;
    const withPort = parseErrorLog(`${line}\n${line.replace('*141', '*999').replace('host: "api.test"', 'host: "api.test:8080"')}`);
    expect(conn(newestFor(withPort, { host: 'api.test', port: 8080 }))).toBe('999');
    expect(conn(newestFor(withPort, { host: 'api.test', port: 18000 }))).toBe('141');
    expect(conn(newestFor(withPort, { host: 'API.test:8080' }))).toBe('999');
  });
});
