import { describe, expect, it } from 'vitest';
import { parseErrorLine, parseErrorLog } from '../../../src/nginx/error-log.js';
import { fixture } from './error-log-fixture.js';

const mixed = fixture('mixed.log');
const lineWith = (text: string, needle: string): string => text.split('\n').find((l) => l.includes(needle))!;
const refusedWithReferrer = lineWith(mixed, '*127 ');

describe('parseErrorLine on real lines', () => {
  it('splits the message from the context fields, referrer included', () => {
    expect(parseErrorLine(refusedWithReferrer)).toEqual({
      time: '2026/11/21 13:05:17',
      level: 'error',
      errno: 111,
      kind: 'refused',
      message: 'connect() failed (111: Connection refused) while connecting to upstream',
      client: '127.0.0.1',
      server: 'shop.test',
      request: 'GET /refused?item=42 HTTP/1.1',
      upstream: 'http://127.0.0.1:18009/refused?item=42',
      host: 'shop.test',
      line: refusedWithReferrer,
    });
  });

  it('reads lines without a connection number or context (resolver, reload, accept)', () => {
    const dns = fixture('dns.log').split('\n');
    expect(parseErrorLine(dns[1]!)).toMatchObject({ level: 'error', kind: 'dns', message: 'send() failed (111: Connection refused) while resolving, resolver: 127.0.0.1:15399' });
    expect(parseErrorLine(dns[4]!)).toMatchObject({ level: 'emerg', kind: 'dns', errno: null });
    expect(parseErrorLine(lineWith(fixture('worker-connections.log'), ': 4 worker_connections'))).toMatchObject({ level: 'alert', kind: 'worker-connections' });
  });

  it('reads what nginx -t prints before error_log is set (same message, no timestamp)', () => {
    // Built from the real [emerg] line: nginx prints this form when the error_log directive is not yet read.
    const line = `nginx: [emerg] ${fixture('dns.log').split('\n')[4]!.split(': ').slice(1).join(': ')}`;
    expect(parseErrorLine(line)).toMatchObject({ time: '', level: 'emerg', kind: 'dns', message: 'host not found in upstream "nosuch-static.invalid" in /tmp/elog/nginx.conf:57' });
  });
});

describe('what is not an upstream error', () => {
  it('a static file open() failure, startup notices, info and [warn] notes', () => {
    expect(parseErrorLog(fixture('not-upstream.log'))).toEqual([]);
    expect(parseErrorLine(lineWith(mixed, 'open() "/tmp/elog/www/missing.html"'))).toBeNull();
  });

  it('the [warn] that an upstream response went to a temporary file', () => {
    const line = lineWith(mixed, 'an upstream response is buffered to a temporary file');
    expect(line).toContain('[warn]');
    expect(parseErrorLine(line)).toBeNull();
  });

  it('messages about the client side', () => {
    const line = refusedWithReferrer.replace(/\*127 .* while connecting to upstream/, '*127 client prematurely closed connection while reading upstream');
    expect(parseErrorLine(line)).toBeNull();
  });
});

describe('parseErrorLog on a tail of a file', () => {
  it('keeps order and skips a first line cut in the middle', () => {
    const from = mixed.indexOf('*114 connect() failed');
    const tail = parseErrorLog(mixed.slice(from + 5));
    expect(tail[0]!.request).toBe('GET /refused HTTP/1.1');
    expect(parseErrorLog(mixed.slice(mixed.indexOf('11/21 13:05:15 [error] 13245#13245: *114')))[0]!.request).toBe('GET /refused HTTP/1.1');
    expect(tail.map((e) => e.kind)).toEqual(
      parseErrorLog(mixed)
        .slice(1)
        .map((e) => e.kind),
    );
  });

  it('survives binary junk, CRLF and very long lines', { timeout: 30_000 }, () => {
    const junk = [
      '\u0000\u0001\u00ff\ufffd\u001b[2J binary',
      'A'.repeat(1_000_000),
      `2026/11/21 13:05:15 [error] 1#1: *1 connect() failed (111: x) while connecting to upstream${', client: '.repeat(50_000)}`,
      '',
    ].join('\n');
    const text = `${junk}${mixed.replace(/\n/g, '\r\n')}`;
    const started = Date.now();
    const errors = parseErrorLog(text);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errors.slice(-parseErrorLog(mixed).length)).toEqual(parseErrorLog(mixed));
  });

  it('strips terminal control sequences from the kept line and fields', () => {
    const dirty = refusedWithReferrer.replace('/refused?item=42 HTTP', '/refused\u001b]0;owned\u0007\u001b[31m HTTP');
    const error = parseErrorLine(dirty)!;
    expect(error.line).not.toMatch(/[\u0000-\u001f]/);
    expect(error.request).toBe('GET /refused HTTP/1.1');
  });

  it('does not take a fake context inside the request line', () => {
    const line = refusedWithReferrer.replace('GET /refused?item=42 HTTP', 'GET /x, client: 6.6.6.6, server: evil HTTP');
    expect(parseErrorLine(line)).toMatchObject({ client: '127.0.0.1', server: 'shop.test', request: 'GET /x, client: 6.6.6.6, server: evil HTTP/1.1', host: 'shop.test' });
  });

  it('reads what it can of a line nginx cut short', () => {
    const cut = refusedWithReferrer.slice(0, refusedWithReferrer.indexOf('item=42'));
    expect(parseErrorLine(cut)).toMatchObject({ kind: 'refused', errno: 111, server: 'shop.test', client: '127.0.0.1' });
    expect(parseErrorLine(cut)!.request).toBeUndefined();
  });
});
