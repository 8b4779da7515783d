import { describe, expect, it } from 'vitest';
import { compilePcre, translatePcre, type CompiledPcre } from '../../../src/nginx/pcre.js';

/** The refusals and the group bookkeeping; test/integration/pcre-oracle.test.ts holds the semantics against pcre2test. */

const compiled = (source: string, caseless = false) => {
  const c = compilePcre(source, caseless);
  if (!c.ok) throw new Error(`refused ${source}: ${c.reason}`);
  return c;
};
const reason = (c: CompiledPcre) => (c.ok ? 'compiled' : c.reason);

describe('compilePcre refuses what JavaScript cannot do as PCRE2 does, naming it', () => {
  it.each([
    ['(?R)', 'recursion'],
    ['(a)(?1)', 'subroutine'],
    ['(?<n>a)(?&n)', 'subroutine'],
    ['(?P<n>a)(?P>n)', 'subroutine'],
    ['(a)\\g<1>', 'subroutine call \\g<...>'],
    ['(a)?(?(1)b|c)', 'conditional group'],
    ['(?|(a)|(b))', 'branch reset'],
    ['a(*SKIP)b', '(*SKIP)'],
    ['a(*COMMIT)b', '(*COMMIT)'],
    ['a(*ACCEPT)', '(*ACCEPT)'],
    ['a(?C1)b', 'callout'],
    ['foo\\Kbar', '\\K'],
    ['\\X', '\\X'],
    ['(*UCP)\\w', '(*UCP)'],
    ['(*CRLF)a$', '(*CRLF)'],
    ['(?J)(?<n>a)|(?<n>b)', '(?J)'],
    ['(?*a)', 'non-atomic lookahead'],
    ['(?=a)*', 'quantified assertion'],
    ['\\N{U+41}', '\\N{U+...}'],
    ['(*UTF)\\C', '\\C'],
  ])('%s: %s', (source, construct) => {
    expect(reason(compilePcre(source, false))).toContain(construct);
  });

  it.each([
    ['(a)\\1', true, 'caseless back reference'],
    ['\\1(a)', false, 'does not close before it'],
    ['(a\\1)', false, 'does not close before it'],
    ['(a)?\\1', false, 'may be unset there'],
    ['(?:(a)|b)\\1', false, 'may be unset there'],
    ['(?!(a))\\1', false, 'may be unset there'],
    ['(?<=(a)\\1)x', false, 'inside a lookbehind'],
    ['(?:(a)|b)+', false, 'an iteration of a repeated group can skip'],
    ['(a?)*', false, 'can match the empty string'],
    ['(?:|a)*b', false, 'can match the empty string'],
    ['(*UTF)é', true, 'non-ASCII character (U+00E9) in UTF mode'],
    ['\\p{Bidi_Class:AL}', false, 'Unicode property'],
    ['\\p{NoSuchScript}', false, 'Unicode property'],
  ] as const)('%s (caseless %s): %s', (source, caseless, construct) => {
    expect(reason(compilePcre(source, caseless))).toContain(construct);
  });

  it('says when PCRE2 itself rejects the pattern, as nginx -t would', () => {
    expect(reason(compilePcre('(abc', false))).toBe('missing closing parenthesis (PCRE2 rejects it too)');
    expect(reason(compilePcre('(?<=a+)b', false))).toContain('not fixed length (PCRE2 10.42 rejects it too)');
    expect(reason(compilePcre('[z-a]', false))).toContain('range out of order');
  });

  it('never throws, whatever the text', () => {
    for (const source of ['', '\\', '(', ')', '[', '[]', '[^]', '{', '(?', '(?<', '(*', '\\x{', '\\p', '\\p{', '\\Q', '(?#', '\u0000', '\ud800']) {
      expect(() => compilePcre(source, false)).not.toThrow();
    }
  });

  it('accepts settings that change no result: match limits and optimisation switches', () => {
    expect(compiled('(*LIMIT_MATCH=100)(*NO_JIT)(*NO_START_OPT)a').exec('a')?.groups).toEqual(['a']);
  });
});

describe('compilePcre keeps PCRE2 group numbers', () => {
  it('maps helper groups of atomic groups and possessive quantifiers back to PCRE2 numbers', () => {
    const source = '(?>(a+))(b)++(c*+)(?<name>d)';
    const js = translatePcre(source, false);
    expect(new RegExp(js, 'u').exec('aabbcd')).toHaveLength(8); // four of the JavaScript groups are helpers
    expect(compiled(source).exec('aabbcd')).toEqual({ groups: ['aabbcd', 'aa', 'b', 'c', 'd'], named: { name: 'd' } });
  });

  it('numbers named groups in order with the others, under every spelling', () => {
    const m = compiled("(x)(?P<a>y)(?'b'z)(?<c>w)(v)").exec('xyzwv');
    expect(m).toEqual({ groups: ['xyzwv', 'x', 'y', 'z', 'w', 'v'], named: { a: 'y', b: 'z', c: 'w' } });
  });

  it('translates back references to the JavaScript numbers, by number, name and relative number', () => {
    const m = compiled('(?>(a))(?<n>b)\\2\\k{n}\\g{-1}(?P=n)\\g1\\k<n>').exec('abbbbbab');
    expect(m?.groups).toEqual(['abbbbbab', 'a', 'b']);
  });

  it('reports unset groups as undefined, up to the last group the pattern has', () => {
    expect(compiled('(a)|(b)|(c)').exec('b')?.groups).toEqual(['b', undefined, 'b', undefined]);
    expect(compiled('(?n)(a)(?<k>b)').exec('ab')).toEqual({ groups: ['ab', 'b'], named: { k: 'b' } });
  });
});

describe('compilePcre as nginx compiles (bytes, LF newline, ~* caseless)', () => {
  it('matches the UTF-8 bytes of the subject, as nginx without PCRE2_UTF does', () => {
    expect(compiled('^/\\p{L}+$').exec('/café')).toBeNull(); // 0xA9, the second byte of é, is ©
    expect(compiled('^/.{5}$').exec('/café')).not.toBeNull();
    expect(compiled('(*UTF)^/\\p{L}{4}$').exec('/café')).not.toBeNull();
    expect(compiled('^/(caf.*)$').exec('/café')?.groups[1]).toBe('café');
  });

  it('lets $ match before a final newline, and \\z only at the end', () => {
    expect(compiled('\\.php$').exec('/x.php\n')?.groups).toEqual(['.php']);
    expect(compiled('\\.php\\z').exec('/x.php\n')).toBeNull();
  });

  it('folds only ASCII letters when caseless in byte mode', () => {
    expect(compiled('\\.PHP$', true).exec('/x.php')).not.toBeNull();
    expect(compiled('^/CAFÉ$', true).exec('/cafÉ')).not.toBeNull();
    expect(compiled('^/CAFÉ$', true).exec('/café')).toBeNull();
  });

  it('scopes inline options to their group', () => {
    const m = compiled('^/(?i:admin)/Panel$');
    expect(m.exec('/ADMIN/Panel')).not.toBeNull();
    expect(m.exec('/ADMIN/panel')).toBeNull();
  });
});
