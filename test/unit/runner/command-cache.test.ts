import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../src/hosts/host.js';
import { CommandCache } from '../../../src/runner/command-cache.js';

const result = (stdout: string, failure?: string): CommandResult => ({ argv: ['ss'], stdout, stderr: '', code: failure ? null : 0, ms: 1, ...(failure ? { failure } : {}) });

describe('the session command cache', () => {
  let now = 0;
  const cache = () => new CommandCache(() => now);

  it('answers a later step with what an earlier step (or the look-ahead) got, per host, argv and stdin', async () => {
    now = 0;
    const c = cache();
    c.put('web', { argv: ['ss'] }, Promise.resolve(result('listeners')));
    now = 100;
    expect((await c.lookup('web', { argv: ['ss'] }, 50))?.stdout).toBe('listeners');
    expect(await c.lookup('app', { argv: ['ss'] }, 50)).toBeUndefined();
    expect(await c.lookup('web', { argv: ['ss', '-x'] }, 50)).toBeUndefined();
    expect(await c.lookup('web', { argv: ['ss'], stdin: 'x' }, 50)).toBeUndefined();
  });

  it('not to the step that ran it (a check asking again wants a new answer), nor once it is stale', async () => {
    now = 0;
    const c = cache();
    c.put('web', { argv: ['ss'] }, Promise.resolve(result('listeners')));
    expect(await c.lookup('web', { argv: ['ss'] }, -1)).toBeUndefined();
    now = 16_000;
    expect(await c.lookup('web', { argv: ['ss'] }, 15_999)).toBeUndefined();
    expect(c.has('web', { argv: ['ss'] })).toBe(false);
  });

  it('a command cut short is run again by whoever needs it; a missing program is an answer', async () => {
    now = 0;
    const c = cache();
    c.put('web', { argv: ['a'] }, Promise.resolve(result('', 'timeout')));
    c.put('web', { argv: ['b'] }, Promise.resolve(result('', 'not-recorded')));
    c.put('web', { argv: ['c'] }, Promise.resolve(result('', 'not-found')));
    expect(await c.lookup('web', { argv: ['a'] }, 1)).toBeUndefined();
    expect(await c.lookup('web', { argv: ['b'] }, 1)).toBeUndefined();
    expect((await c.lookup('web', { argv: ['c'] }, 1))?.failure).toBe('not-found');
  });

  it("the look-ahead's later rounds count even when they started after the step that needs them", async () => {
    now = 0;
    const c = cache();
    now = 100;
    c.put('web', { argv: ['cat', 'pool.conf'] }, Promise.resolve(result('listen = /run/php.sock')), true);
    c.put('web', { argv: ['ss'] }, Promise.resolve(result('listeners')));
    expect((await c.lookup('web', { argv: ['cat', 'pool.conf'] }, 50))?.stdout).toBe('listen = /run/php.sock');
    expect(await c.lookup('web', { argv: ['ss'] }, 50)).toBeUndefined();
    expect(c.running('web', { argv: ['cat', 'pool.conf'] })).toBeDefined();
    now = 20_000;
    expect(c.running('web', { argv: ['cat', 'pool.conf'] })).toBeUndefined();
  });

  it('clear() forgets everything: the box changed', async () => {
    now = 0;
    const c = cache();
    c.put('web', { argv: ['ss'] }, Promise.resolve(result('listeners')));
    c.clear();
    expect(await c.lookup('web', { argv: ['ss'] }, 1)).toBeUndefined();
  });
});
