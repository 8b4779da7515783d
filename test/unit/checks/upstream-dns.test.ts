import { describe, expect, it } from 'vitest';
import { upstreamDns } from '../../../src/checks/upstream-dns.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { parseErrorLog } from '../../../src/nginx/error-log.js';
import { fixture, ran } from './fixtures.js';

const [line] = parseErrorLog(fixture('getent/stale-dns-refused.log'));
const facts: KnownFacts = { 'upstream.host': 'app.test', ...(line ? { 'error.latest': line } : {}) };
const getent = (file: string, code = 0) => ran(['getent', 'ahosts', '--', 'app.test'], fixture(file), { code });

describe('upstream.dns: does nginx dial what the name means now?', () => {
  it('asks getent about the name, and nothing for an address', () => {
    expect(upstreamDns.plan(facts, []).map((c) => c.argv)).toEqual([['getent', 'ahosts', '--', 'app.test']]);
    expect(upstreamDns.plan({ ...facts, 'upstream.host': '127.0.0.1' }, [])).toEqual([]);
  });

  it('changed: nginx dialled 127.0.0.2, the name is 127.0.0.3 (and ::1) now', () => {
    const result = upstreamDns.interpret(facts, [getent('getent/ahosts-hosts-file-v4-v6.txt')]);
    expect(result.outcome).toBe('changed');
    expect(result.facts).toEqual({ 'dns.now': '::1, 127.0.0.3', 'dns.used': '127.0.0.2' });
  });

  it('not this: the name still resolves to the address nginx dialled', () => {
    const result = upstreamDns.interpret(facts, [getent('getent/ahosts-hosts-file-v4.txt')]);
    expect(result.outcome).toBe('same');
  });

  it('not this: an address needs no resolving; an unknown name or a missing log line cannot be compared', () => {
    expect(upstreamDns.interpret({ ...facts, 'upstream.host': '[::1]' }, []).outcome).toBe('literal');
    expect(upstreamDns.interpret(facts, [getent('getent/ahosts-unknown-name.stdout.txt', 2)]).outcome).toBe('unknown');
    expect(upstreamDns.interpret({ 'upstream.host': 'app.test' }, [getent('getent/ahosts-hosts-file-v4-v6.txt')]).outcome).toBe('unknown');
  });
});
