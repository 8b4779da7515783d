import { describe, expect, it } from 'vitest';
import { parseErrorLog } from '../../../src/nginx/error-log.js';
import { isIpLiteral, parseAhosts, upstreamFieldAddress } from '../../../src/system/getent.js';
import { fixture } from '../checks/fixtures.js';

describe('getent ahosts', () => {
  it('lists each address once, in the order the resolver gives', () => {
    expect(parseAhosts(fixture('getent/ahosts-hosts-file-v4.txt'))).toEqual(['127.0.0.2']);
    expect(parseAhosts(fixture('getent/ahosts-hosts-file-v4-v6.txt'))).toEqual(['::1', '127.0.0.3']);
    expect(parseAhosts(fixture('getent/ahosts-ip-literal.txt'))).toEqual(['127.0.0.5']);
  });

  it('not this: an unknown name prints nothing', () => {
    expect(parseAhosts(fixture('getent/ahosts-unknown-name.stdout.txt'))).toEqual([]);
  });

  it('tells an address from a name', () => {
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('fe80::1%lo')).toBe(true);
    expect(isIpLiteral('app.test')).toBe(false);
    expect(isIpLiteral('localhost')).toBe(false);
    expect(isIpLiteral('backend')).toBe(false);
  });
});

describe("the address nginx used, from the error log's upstream field", () => {
  it('reads it from a real line written after the name moved', () => {
    const [line] = parseErrorLog(fixture('getent/stale-dns-refused.log'));
    expect(line?.upstream).toBe('http://127.0.0.2:38461/');
    expect(upstreamFieldAddress(line?.upstream ?? '')).toBe('127.0.0.2');
  });

  it('IPv6, FastCGI; not this: a unix socket or a name', () => {
    expect(upstreamFieldAddress('fastcgi://[::1]:9000')).toBe('::1');
    expect(upstreamFieldAddress('uwsgi://10.0.0.5:3031')).toBe('10.0.0.5');
    expect(upstreamFieldAddress('fastcgi://unix:/run/php/php8.2-fpm.sock:')).toBeNull();
    expect(upstreamFieldAddress('http://app/')).toBeNull();
  });
});
