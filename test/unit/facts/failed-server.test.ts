import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { failedServer } from '../../../src/facts/failed-server.js';

// The upstream fields are nginx 1.22's own, from error lines of the lab's gunicorn box (lab/stacks.ts):
// a reset prints the URI after a ':', a read timeout on the same socket prints it without one.
const unix: KnownFacts = { 'upstream.target': 'unix:/run/shop/gunicorn.sock', 'upstream.kind': 'unix', 'upstream.socket': '/run/shop/gunicorn.sock' };
const error = (upstream: string) => ({ 'error.latest': { upstream } }) as unknown as KnownFacts;

describe('the server nginx used for the failed request', () => {
  it("a unix socket, with or without the ':' before the URI", () => {
    for (const field of ['http://unix:/run/shop/gunicorn.sock:/crash', 'http://unix:/run/shop/gunicorn.sock/']) {
      expect(failedServer({ ...unix, ...error(field) })).toEqual({ kind: 'unix', socket: '/run/shop/gunicorn.sock', target: 'unix:/run/shop/gunicorn.sock' });
    }
  });

  it('a TCP server of a group, named by the field rather than the first of the group', () => {
    const facts: KnownFacts = { 'upstream.target': '127.0.0.1:8000', 'upstream.kind': 'tcp', 'upstream.host': '127.0.0.1', 'upstream.port': 8000, ...error('http://127.0.0.1:8001/api/x') };
    expect(failedServer(facts)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8001, target: '127.0.0.1:8001' });
  });

  it('not this: another socket in the field is not bent to the configured one', () => {
    expect(failedServer({ ...unix, ...error('fastcgi://unix:/run/php/php8.2-fpm.sock:') })).toMatchObject({ socket: '/run/php/php8.2-fpm.sock' });
  });
});
