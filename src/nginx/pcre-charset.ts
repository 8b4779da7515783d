/**
 * Character sets for the PCRE2 translation (src/nginx/pcre.ts): what one PCRE item of a pattern (a literal,
 * `.`, a class, `\d`, a POSIX class, a Unicode property) matches, as code point ranges.
 *
 * nginx compiles without PCRE2_UTF, so a pattern and a subject are bytes and these sets hold values 0..255,
 * read as Latin-1 when a Unicode property is asked of them (that is what PCRE2 does). A pattern that starts with
 * (*UTF) works on code points instead.
 */

export type Range = [number, number];

/**
 * One character's worth of pattern: the union of `ranges`, `props` (JavaScript class contents such as
 * `\p{Lu}`, UTF mode only) and the complement of each of `complements` (class contents, UTF mode only: a
 * negated composite property, which one `u`-flag class cannot hold), itself complemented when `negated`.
 */
export interface CharSet {
  ranges: Range[];
  props: string[];
  complements: string[];
  negated: boolean;
}

export const rangeSet = (ranges: Range[], negated = false): CharSet => ({ ranges, props: [], complements: [], negated });

/** Thrown by every part of the translation for a pattern it will not compile; the message names the construct. */
export class Untranslatable extends Error {}

export const MAX_BYTE = 0xff;
export const MAX_CODE_POINT = 0x10ffff;

export function normalize(ranges: Range[]): Range[] {
  const sorted = ranges.map((r): Range => [r[0], r[1]]).sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push(r);
  }
  return out;
}

export function complement(ranges: Range[], max: number): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= max) out.push([next, max]);
  return out;
}

const r = (lo: string | number, hi: string | number = lo): Range => [typeof lo === 'number' ? lo : lo.codePointAt(0)!, typeof hi === 'number' ? hi : hi.codePointAt(0)!];

const DIGIT = [r('0', '9')];
const UPPER = [r('A', 'Z')];
const LOWER = [r('a', 'z')];
const ALPHA = [...UPPER, ...LOWER];
const SPACE = [r(9, 13), r(' ')];

/** PCRE2's built-in tables are the "C" locale's, in byte and in UTF mode alike (without UCP): ASCII only. */
const POSIX: Record<string, Range[]> = {
  alpha: ALPHA,
  lower: LOWER,
  upper: UPPER,
  alnum: [...DIGIT, ...ALPHA],
  ascii: [r(0, 0x7f)],
  blank: [r('\t'), r(' ')],
  cntrl: [r(0, 0x1f), r(0x7f)],
  digit: DIGIT,
  graph: [r(0x21, 0x7e)],
  print: [r(0x20, 0x7e)],
  punct: [r(0x21, 0x2f), r(0x3a, 0x40), r(0x5b, 0x60), r(0x7b, 0x7e)],
  space: SPACE,
  word: [...DIGIT, ...ALPHA, r('_')],
  xdigit: [...DIGIT, r('A', 'F'), r('a', 'f')],
};

/** `[:name:]` inside a class; with caseless matching PCRE2 reads upper and lower as alpha. */
export function posixClass(name: string, caseless: boolean): Range[] {
  const ranges = POSIX[caseless && (name === 'upper' || name === 'lower') ? 'alpha' : name];
  if (!ranges) throw new Untranslatable(`unknown POSIX class [:${name}:] (PCRE2 rejects it too)`);
  return ranges;
}

const HORIZONTAL_UNICODE = [r(0x1680), r(0x180e), r(0x2000, 0x200a), r(0x202f), r(0x205f), r(0x3000)];

/** The escapes that stand for a fixed set: \d \s \w \h \v and their capitals (\s includes VT, as in PCRE2). */
export function escapeClass(letter: string, utf: boolean): Range[] | null {
  const max = utf ? MAX_CODE_POINT : MAX_BYTE;
  const base: Record<string, Range[]> = {
    d: DIGIT,
    s: SPACE,
    w: POSIX.word!,
    h: [r('\t'), r(' '), r(0xa0), ...(utf ? HORIZONTAL_UNICODE : [])],
    v: [r(0x0a, 0x0d), r(0x85), ...(utf ? [r(0x2028, 0x2029)] : [])],
  };
  const own = base[letter];
  if (own) return own;
  const lower = base[letter.toLowerCase()];
  return lower ? complement(lower, max) : null;
}

// ---- case folding ----

/** Beyond ASCII, only these characters fold to an ASCII letter (Unicode simple case folding). */
const ASCII_PARTNERS: [number, number[]][] = [
  [0x212a, [0x4b, 0x6b]], // KELVIN SIGN ~ K k
  [0x17f, [0x53, 0x73]], // LATIN SMALL LETTER LONG S ~ S s
];

const hasCaseVariant = (cp: number): boolean => {
  const s = String.fromCodePoint(cp);
  return s.toLowerCase() !== s || s.toUpperCase() !== s;
};

/** The last code point with a case mapping in any Unicode version Node ships (Adlam ends at U+1E943). */
const LAST_CASED = 0x1e9ff;

function overlap(ranges: Range[], lo: number, hi: number): Range[] {
  const out: Range[] = [];
  for (const [a, b] of ranges) if (a <= hi && b >= lo) out.push([Math.max(a, lo), Math.min(b, hi)]);
  return out;
}

const contains = (ranges: Range[], cp: number): boolean => ranges.some(([a, b]) => a <= cp && cp <= b);

/**
 * The ranges plus every other case of what they hold. In byte mode PCRE2 folds A-Z/a-z only (its C-locale
 * tables); in UTF mode it folds all of Unicode, which we translate for ASCII letters and their two non-ASCII
 * partners, and refuse for any other character that has a case.
 */
export function caseClosure(ranges: Range[], utf: boolean): Range[] {
  const out = [...ranges];
  for (const [a, b] of overlap(ranges, 0x41, 0x5a)) out.push([a + 32, b + 32]);
  for (const [a, b] of overlap(ranges, 0x61, 0x7a)) out.push([a - 32, b - 32]);
  if (!utf) return normalize(out);
  for (const [partner, letters] of ASCII_PARTNERS) {
    if (contains(ranges, partner)) out.push(...letters.map((l) => r(l)));
    if (letters.some((l) => contains(ranges, l))) out.push(r(partner));
  }
  for (const [a, b] of overlap(ranges, 0x80, LAST_CASED)) {
    for (let cp = a; cp <= b; cp++) {
      if (hasCaseVariant(cp) && !ASCII_PARTNERS.some(([p]) => p === cp)) {
        throw new Untranslatable(`caseless matching of a non-ASCII character (U+${hex(cp)}) in UTF mode`);
      }
    }
  }
  return normalize(out);
}

export const hex = (cp: number): string => cp.toString(16).toUpperCase().padStart(4, '0');

// ---- Unicode properties ----

const GENERAL_CATEGORIES = [
  'C',
  'Cc',
  'Cf',
  'Cn',
  'Co',
  'Cs',
  'L',
  'Ll',
  'Lm',
  'Lo',
  'Lt',
  'Lu',
  'M',
  'Mc',
  'Me',
  'Mn',
  'N',
  'Nd',
  'Nl',
  'No',
  'P',
  'Pc',
  'Pd',
  'Pe',
  'Pf',
  'Pi',
  'Po',
  'Ps',
  'S',
  'Sc',
  'Sk',
  'Sm',
  'So',
  'Z',
  'Zl',
  'Zp',
  'Zs',
];

/** PCRE2's own composite properties, as JavaScript class contents. */
const PCRE_SPECIALS: Record<string, string> = {
  any: '\\s\\S',
  'l&': '\\p{LC}',
  lc: '\\p{LC}',
  xan: '\\p{L}\\p{N}',
  // Z, or any of \h and \v (NEL and U+180E are not Z)
  xps: '\\p{Z}\\t\\n\\v\\f\\r\\u{85}\\u{180E}',
  xsp: '\\p{Z}\\t\\n\\v\\f\\r\\u{85}\\u{180E}',
  xwd: '\\p{L}\\p{N}_',
  xuc: '$@`\\u{A0}-\\u{D7FF}\\u{E000}-\\u{10FFFF}',
};

/** Binary properties PCRE2 10.40+ knows under the same name as JavaScript (checked against pcre2test). */
const BINARY = ['Alphabetic', 'ASCII', 'ASCII_Hex_Digit', 'Cased', 'Dash', 'Diacritic', 'Hex_Digit', 'Lowercase', 'Math', 'Uppercase', 'White_Space'];

/** PCRE2 matches property names loosely: case, spaces, hyphens and underscores do not count. */
const loose = (name: string): string => name.toLowerCase().replace(/[\s_-]/g, '');

const validJs = (body: string): boolean => {
  try {
    new RegExp(`[${body}]`, 'u');
    return true;
  } catch {
    return false;
  }
};

/** A script name as JavaScript spells it, from PCRE2's loose spelling (Old_Italic, old italic, Grek...). */
function scriptName(name: string): string | null {
  const words = name
    .trim()
    .split(/[\s_-]+/)
    .filter(Boolean);
  const candidates = [name, words.map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join('_')];
  return candidates.find((c) => /^[A-Za-z_]+$/.test(c) && validJs(`\\p{sc=${c}}`)) ?? null;
}

/**
 * The JavaScript class contents for PCRE2's `\p{name}` (without negation). An unadorned script name means the
 * Script_Extensions property in PCRE2 10.40+; `sc:` asks for Script alone. In byte mode Script is used: the
 * characters below 256 have no extensions in PCRE2's Unicode data (U+00B7 gained some after Unicode 14).
 */
function propertyBody(spec: string, utf: boolean): string {
  const key = loose(spec);
  if (PCRE_SPECIALS[key]) return PCRE_SPECIALS[key]!;
  const gc = GENERAL_CATEGORIES.find((g) => g.toLowerCase() === key);
  if (gc) return `\\p{${gc}}`;
  const binary = BINARY.find((b) => loose(b) === key);
  if (binary) return `\\p{${binary}}`;
  const colon = spec.indexOf(':');
  const prefix = colon < 0 ? '' : loose(spec.slice(0, colon));
  const rest = colon < 0 ? spec : spec.slice(colon + 1);
  if (prefix && !['sc', 'script', 'scx', 'scriptextensions'].includes(prefix)) {
    throw new Untranslatable(`Unicode property \\p{${spec}} (only general categories, scripts and a few binary properties translate)`);
  }
  const script = scriptName(rest);
  if (!script) throw new Untranslatable(`unknown or untranslatable Unicode property \\p{${spec}}`);
  const extensions = utf && (prefix === '' || prefix.startsWith('scriptext') || prefix === 'scx');
  return `\\p{${extensions ? 'scx' : 'sc'}=${script}}`;
}

const latin1Cache = new Map<string, Range[]>();

/** Which of the 256 byte values a JavaScript class body holds, read as Latin-1 code points. */
function latin1Members(body: string): Range[] {
  const cached = latin1Cache.get(body);
  if (cached) return cached;
  const re = new RegExp(`^[${body}]$`, 'u');
  const ranges: Range[] = [];
  for (let b = 0; b <= MAX_BYTE; b++) if (re.test(String.fromCharCode(b))) ranges.push([b, b]);
  const merged = normalize(ranges);
  latin1Cache.set(body, merged);
  return merged;
}

/**
 * `\p{..}` or `\P{..}` (negated, or `^` inside the braces). In byte mode: ranges over 0..255. In UTF mode:
 * a JavaScript escape. Caseless matching never widens a property in PCRE2, so these are not case-folded.
 */
export function unicodeProperty(spec: string, negated: boolean, utf: boolean): CharSet {
  let name = spec;
  let neg = negated;
  if (name.startsWith('^')) {
    name = name.slice(1);
    neg = !neg;
  }
  const body = propertyBody(name, utf);
  if (!utf) {
    const members = latin1Members(body);
    return rangeSet(neg ? complement(members, MAX_BYTE) : members);
  }
  const single = /^\\p\{[^}]+\}$/.test(body);
  if (!neg) return { ranges: [], props: [body], complements: [], negated: false };
  if (single) return { ranges: [], props: [`\\P${body.slice(2)}`], complements: [], negated: false };
  return { ranges: [], props: [], complements: [body], negated: false };
}
