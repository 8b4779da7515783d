/**
 * Random PCRE2 patterns and subjects from a fixed seed, for comparing the translation with pcre2test on far more
 * shapes than a hand-written table holds: nesting, alternation, every quantifier form, lookarounds, back
 * references, options, classes, (*UTF), over a small alphabet where the engines' corner cases meet.
 */

/** mulberry32: a small deterministic generator, so a failure names a pattern that reproduces. */
export function seeded(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEAVES = [
  'a',
  'b',
  'A',
  'x',
  '1',
  '-',
  '.',
  '\\n',
  '[ab]',
  '[^a]',
  '[a-c]',
  '\\w',
  '\\d',
  '\\s',
  '\\Qa.\\E',
  '\\R',
  '\\h',
  '\\v',
  '[[:alpha:]]',
  '[[:^upper:]]',
  'é',
  'K',
  'k',
  '[^\\W\\d]',
  '\\p{L}',
  '\\P{Ll}',
  '\\p{Lu}',
  '[\\x{e0}-\\x{ff}]',
  'ß',
  '\\N',
  '[a\\-]',
  '[]a]',
  '[^]a]',
  '\\x41',
];
const ASSERTIONS = ['^', '$', '\\b', '\\B', '\\z', '\\Z', '\\A'];
const OPENERS = ['(', '(', '(', '(?:', '(?:', '(?>', '(?=', '(?!', '(?<=', '(?<!', '(?i:', '(?-i:', 'named'];
const LOOKBEHIND_BODIES = ['a', 'ab', 'a|bc', '(a)', '\\b.', '[ab]{2}', '(?>a|b)c', 'a(?=b)', '^', '(a|b)(c)'];
const QUANTIFIERS = ['', '', '', '*', '+', '?', '{2}', '{1,2}', '{0,2}', '{2,}'];
const SUFFIXES = ['', '', '?', '+'];
const SUBJECT_CHARS = ['a', 'b', 'A', 'x', '\n', '1', ' ', '-', 'é', 'É', '\r', 'ß', '\u212a', 'k', 'K', '\u00a0', '.', ']'];

export interface FuzzCase {
  pattern: string;
  caseless: boolean;
  subjects: string[];
}

export function fuzzCases(seed: number, count: number): FuzzCase[] {
  const rnd = seeded(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let groups = 0;
  let closed: number[] = [];

  const group = (depth: number): string => {
    let opener = pick(OPENERS);
    if (opener === 'named') opener = `(?<n${groups}>`;
    const capture = opener === '(' || opener.startsWith('(?<n') ? ++groups : 0;
    const lookbehind = opener === '(?<=' || opener === '(?<!';
    const text = `${opener}${lookbehind ? pick(LOOKBEHIND_BODIES) : alternation(depth + 1)})`;
    if (capture) closed.push(capture);
    return text;
  };
  const atom = (depth: number): { text: string; repeatable: boolean } => {
    const r = rnd();
    if (depth > 3 || r < 0.35) return { text: pick(LEAVES), repeatable: true };
    if (r < 0.45) return { text: pick(ASSERTIONS), repeatable: false };
    if (r < 0.5 && closed.length) return { text: `\\g{${pick(closed)}}`, repeatable: true };
    const text = group(depth);
    return { text, repeatable: !/^\(\?<?[=!]/.test(text) };
  };
  const sequence = (depth: number): string => {
    let out = '';
    for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
      const { text, repeatable } = atom(depth);
      const q = repeatable ? pick(QUANTIFIERS) : '';
      out += text + q + (q ? pick(SUFFIXES) : '');
    }
    return out;
  };
  const alternation = (depth: number): string => (rnd() < 0.3 ? `${sequence(depth)}|${sequence(depth)}` : sequence(depth));
  const subject = () => Array.from({ length: Math.floor(rnd() * 7) }, () => pick(SUBJECT_CHARS)).join('');

  return Array.from({ length: count }, () => {
    groups = 0;
    closed = [];
    const options = ['(*UTF)', '(?m)', '(?s)', '(?x)'].filter((_, k) => rnd() < [0.25, 0.1, 0.1, 0.05][k]!).join('');
    return { pattern: options + alternation(0), caseless: rnd() < 0.2, subjects: Array.from({ length: 6 }, subject) };
  });
}
