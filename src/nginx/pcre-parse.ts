/**
 * PCRE2 pattern syntax (as of 10.42, the version Debian 12 ships) read into a small tree that
 * src/nginx/pcre.ts checks and writes out as a JavaScript RegExp. Option letters, `\Q..\E`, escapes and
 * classes are resolved here, so the tree no longer depends on flags: a caseless letter is already the class of
 * both cases, `$` is already "end, or before a final newline".
 *
 * Anything with no faithful JavaScript rendering throws Untranslatable naming the construct; so does anything
 * PCRE2 itself rejects (nginx would refuse the configuration).
 */
import { caseClosure, complement, escapeClass, hex, MAX_BYTE, MAX_CODE_POINT, normalize, posixClass, rangeSet, unicodeProperty, Untranslatable, type CharSet, type Range } from './pcre-charset.js';

export type GroupKind = 'capture' | 'plain' | 'atomic' | 'ahead' | 'notAhead' | 'behind' | 'notBehind';
export type RepeatMode = 'greedy' | 'lazy' | 'possessive';

export type Node =
  | { t: 'set'; set: CharSet }
  | { t: 'assert'; js: string }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'group'; kind: GroupKind; body: Node; index?: number }
  | { t: 'repeat'; body: Node; min: number; max: number; mode: RepeatMode }
  | { t: 'backref'; index: number; text: string };

export interface Parsed {
  root: Node;
  groupCount: number;
  names: Map<string, number>;
  utf: boolean;
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  /** 0, x (ignore whitespace and #comments), or xx (also space and tab inside classes). */
  x: 0 | 1 | 2;
  n: boolean;
  U: boolean;
}

/** Zero-width assertions. PCRE2's newline is LF (Debian's build, and nginx passes no other). */
export const ASSERT = {
  start: '(?<![\\s\\S])',
  lineStart: '(?:(?<![\\s\\S])|(?<=\\n)(?=[\\s\\S]))',
  end: '(?![\\s\\S])',
  endOrFinalNewline: '(?=\\n?(?![\\s\\S]))',
  lineEnd: '(?=\\n|(?![\\s\\S]))',
  wordStart: '\\b(?=\\w)',
  wordEnd: '\\b(?<=\\w)',
};

const MAX_REPEAT = 65535;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isOctal = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x37;
const isHex = (c: number | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(c));
const isAsciiAlnum = (c: number): boolean => c < 0x80 && /[A-Za-z0-9]/.test(String.fromCharCode(c));

/** Whitespace that extended mode skips: Perl's, plus NEL; in UTF mode also the other Pattern_White_Space. */
const extendedSpace = (c: number | undefined, utf: boolean): boolean => c !== undefined && ((c >= 9 && c <= 13) || c === 0x20 || c === 0x85 || (utf && [0x200e, 0x200f, 0x2028, 0x2029].includes(c)));

const LITERAL_ESCAPES: Record<string, number> = { a: 7, e: 0x1b, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 };

const ALPHA_ASSERTIONS: Record<string, GroupKind> = {
  pla: 'ahead',
  positive_lookahead: 'ahead',
  nla: 'notAhead',
  negative_lookahead: 'notAhead',
  plb: 'behind',
  positive_lookbehind: 'behind',
  nlb: 'notBehind',
  negative_lookbehind: 'notBehind',
  atomic: 'atomic',
};

/** Start-of-pattern settings the translation follows; the optimisation switches change nothing that matches. */
const START_SETTINGS: Record<string, 'utf' | 'bsrAnyCrlf' | 'none'> = {
  UTF: 'utf',
  UTF8: 'utf',
  BSR_ANYCRLF: 'bsrAnyCrlf',
  BSR_UNICODE: 'none',
  LF: 'none',
  NO_AUTO_POSSESS: 'none',
  NO_DOTSTAR_ANCHOR: 'none',
  NO_JIT: 'none',
  NO_START_OPT: 'none',
};

const REFUSED_START_SETTINGS: Record<string, string> = {
  UCP: '(*UCP) (Unicode \\d \\w \\s \\b and POSIX classes)',
  CR: 'the newline convention (*CR)',
  CRLF: 'the newline convention (*CRLF)',
  ANYCRLF: 'the newline convention (*ANYCRLF)',
  ANY: 'the newline convention (*ANY)',
  NUL: 'the newline convention (*NUL)',
  NOTEMPTY: '(*NOTEMPTY)',
  NOTEMPTY_ATSTART: '(*NOTEMPTY_ATSTART)',
};

interface StartOptions {
  utf: boolean;
  bsrAnyCrlf: boolean;
  /** The pattern after the settings. */
  rest: string;
}

/**
 * The `(*UTF)`-style settings at the very start. Match limits such as (*LIMIT_MATCH=n) are accepted: past one,
 * PCRE2 returns an error instead of an answer; short of it, they change nothing.
 */
function startOptions(source: string): StartOptions {
  const out: StartOptions = { utf: false, bsrAnyCrlf: false, rest: source };
  for (;;) {
    const m = /^\(\*([A-Z_0-9]+)(=\d+)?\)/.exec(out.rest);
    if (!m) return out;
    const [text, name, value] = [m[0], m[1]!, m[2]];
    const setting = value === undefined ? START_SETTINGS[name] : /^LIMIT_(MATCH|DEPTH|HEAP|RECURSION)$/.test(name) ? 'none' : undefined;
    if (!setting) {
      const refused = value === undefined ? REFUSED_START_SETTINGS[name] : undefined;
      if (refused) throw new Untranslatable(refused);
      return out; // not a start setting: the parser reports it as a verb
    }
    if (setting === 'utf') out.utf = true;
    if (setting === 'bsrAnyCrlf') out.bsrAnyCrlf = true;
    out.rest = out.rest.slice(text.length);
  }
}

type ClassAtom = { char: number } | { set: CharSet };

class Parser {
  private pos = 0;
  private groups = 0;
  private readonly closed = new Set<number>();
  readonly names = new Map<string, number>();
  private flags: Flags;
  private readonly max: number;

  constructor(
    private readonly units: number[],
    private readonly utf: boolean,
    private readonly bsrAnyCrlf: boolean,
    caseless: boolean,
  ) {
    this.flags = { i: caseless, m: false, s: false, x: 0, n: false, U: false };
    this.max = utf ? MAX_CODE_POINT : MAX_BYTE;
  }

  parse(): Parsed {
    const root = this.alternation();
    if (!this.atEnd()) throw new Untranslatable('unmatched closing parenthesis (PCRE2 rejects it too)');
    return { root, groupCount: this.groups, names: this.names, utf: this.utf };
  }

  // ---- reading ----

  private atEnd(): boolean {
    return this.pos >= this.units.length;
  }

  private peek(ahead = 0): number | undefined {
    return this.units[this.pos + ahead];
  }

  private peekChar(ahead = 0): string {
    const c = this.peek(ahead);
    return c === undefined ? '' : String.fromCodePoint(c);
  }

  private next(): number {
    const c = this.units[this.pos++];
    if (c === undefined) throw new Untranslatable('unexpected end of pattern');
    return c;
  }

  /** Consumes `text` (ASCII) if the pattern continues with it. */
  private eat(text: string): boolean {
    for (let k = 0; k < text.length; k++) if (this.peek(k) !== text.charCodeAt(k)) return false;
    this.pos += text.length;
    return true;
  }

  /** The ASCII text from here up to (not including) `stop`, consumed with `stop`; null if `stop` never comes. */
  private until(stop: string): string | null {
    let text = '';
    for (let k = this.pos; k < this.units.length; k++) {
      const c = this.units[k]!;
      if (c === stop.charCodeAt(0)) {
        this.pos = k + 1;
        return text;
      }
      text += String.fromCodePoint(c);
    }
    return null;
  }

  private readDigits(isDigitFn: (c: number | undefined) => boolean, limit = Infinity): string {
    let text = '';
    while (text.length < limit && isDigitFn(this.peek())) text += String.fromCharCode(this.next());
    return text;
  }

  /** In extended mode: whitespace and #-comments (to the end of the line) between items. */
  private skipExtended(): void {
    for (;;) {
      if (this.eat('\\E')) continue; // an \E outside \Q..\E is ignored, and so is an empty \Q\E
      if (this.eat('\\Q\\E')) continue;
      if (this.peekChar() === '(' && this.peekChar(1) === '?' && this.peekChar(2) === '#') {
        this.pos += 3;
        if (this.until(')') === null) throw new Untranslatable('missing ) after a (?# comment (PCRE2 rejects it too)');
        continue;
      }
      if (!this.flags.x) return;
      if (extendedSpace(this.peek(), this.utf)) this.pos++;
      else if (this.peekChar() === '#') {
        while (!this.atEnd() && this.peek() !== 0x0a) this.pos++;
      } else return;
    }
  }

  // ---- structure ----

  private alternation(): Node {
    const alts = [this.sequence()];
    while (this.eat('|')) alts.push(this.sequence());
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (;;) {
      this.skipExtended();
      if (this.atEnd() || this.peekChar() === '|' || this.peekChar() === ')') break;
      const atoms = this.atom();
      if (!atoms.length) {
        if (this.quantifierAhead()) throw new Untranslatable('quantifier does not follow a repeatable item (PCRE2 rejects it too)');
        continue;
      }
      items.push(...atoms.slice(0, -1), this.quantified(atoms.at(-1)!));
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  private quantifierAhead(): boolean {
    const save = this.pos;
    this.skipExtended();
    const found = this.quantifier() !== null;
    this.pos = save;
    return found;
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` (PCRE2 10.42 reads `{,m}` and `{n, m}` as literal text). */
  private quantifier(): { min: number; max: number } | null {
    if (this.eat('*')) return { min: 0, max: Infinity };
    if (this.eat('+')) return { min: 1, max: Infinity };
    if (this.eat('?')) return { min: 0, max: 1 };
    const m = /^\{(\d+)(,(\d*))?\}/.exec(
      this.units
        .slice(this.pos, this.pos + 16)
        .map((c) => String.fromCodePoint(c))
        .join(''),
    );
    if (!m) return null;
    this.pos += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw new Untranslatable('number too big in {} quantifier (PCRE2 rejects it too)');
    if (max < min) throw new Untranslatable('numbers out of order in {} quantifier (PCRE2 rejects it too)');
    return { min, max };
  }

  private quantified(atom: Node): Node {
    this.skipExtended();
    const q = this.quantifier();
    if (!q) return atom;
    if (atom.t === 'assert' || (atom.t === 'group' && !['capture', 'plain', 'atomic'].includes(atom.kind))) {
      throw new Untranslatable('a quantified assertion');
    }
    this.skipExtended();
    let mode: RepeatMode = this.eat('+') ? 'possessive' : this.eat('?') ? 'lazy' : 'greedy';
    if (this.flags.U && mode !== 'possessive') mode = mode === 'lazy' ? 'greedy' : 'lazy';
    if (this.quantifierAhead()) throw new Untranslatable('quantifier does not follow a repeatable item (PCRE2 rejects it too)');
    return { t: 'repeat', body: atom, min: q.min, max: q.max, mode };
  }

  /** One item, or several (a \Q..\E run: a following quantifier binds to its last character), or none. */
  private atom(): Node[] {
    const c = this.peekChar();
    if (c === '*' || c === '+' || c === '?' || (c === '{' && this.quantifierAhead())) {
      throw new Untranslatable('quantifier does not follow a repeatable item (PCRE2 rejects it too)');
    }
    this.pos++;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return [this.classAtom()];
      case '.':
        return [{ t: 'set', set: this.flags.s ? rangeSet([[0, this.max]]) : rangeSet([[0x0a, 0x0a]], true) }];
      case '^':
        return [{ t: 'assert', js: this.flags.m ? ASSERT.lineStart : ASSERT.start }];
      case '$':
        return [{ t: 'assert', js: this.flags.m ? ASSERT.lineEnd : ASSERT.endOrFinalNewline }];
      case '\\':
        return this.escape();
      default:
        return [this.literal(this.units[this.pos - 1]!)];
    }
  }

  private literal(cp: number): Node {
    const ranges: Range[] = [[cp, cp]];
    return { t: 'set', set: rangeSet(this.flags.i ? caseClosure(ranges, this.utf) : ranges) };
  }

  // ---- groups ----

  private group(): Node[] {
    if (this.eat('*')) return [this.alphaGroup()];
    if (!this.eat('?')) return [this.groupBody(this.flags.n ? 'plain' : 'capture')];
    const c = this.peekChar();
    if (this.eat(':')) return [this.groupBody('plain')];
    if (this.eat('>')) return [this.groupBody('atomic')];
    if (this.eat('=')) return [this.groupBody('ahead')];
    if (this.eat('!')) return [this.groupBody('notAhead')];
    if (this.eat('<=')) return [this.groupBody('behind')];
    if (this.eat('<!')) return [this.groupBody('notBehind')];
    if (this.eat('<*')) throw new Untranslatable('a non-atomic lookbehind (?<*...)');
    if (this.eat('<') || this.eat('P<')) return [this.namedGroup('>')];
    if (this.eat("'")) return [this.namedGroup("'")];
    if (this.eat('P=')) return [this.namedBackref(')', '(?P=')];
    if (c === '|') throw new Untranslatable('a branch reset group (?|...)');
    if (c === '(') throw new Untranslatable('a conditional group (?(...)...)');
    if (c === 'C') throw new Untranslatable('a callout (?C...)');
    if (c === '*') throw new Untranslatable('a non-atomic lookahead (?*...)');
    if (c === 'R' || c === '&' || c === '+' || isDigit(this.peek()) || this.eat('P>') || (c === '-' && isDigit(this.peek(1)))) {
      throw new Untranslatable('recursion or a subroutine call (?R), (?1), (?&name)');
    }
    return this.optionSetting();
  }

  private groupBody(kind: GroupKind, name?: string): Node {
    const index = kind === 'capture' ? ++this.groups : undefined;
    if (index !== undefined && name !== undefined) this.names.set(name, index);
    const saved = { ...this.flags };
    const body = this.alternation();
    if (!this.eat(')')) throw new Untranslatable('missing closing parenthesis (PCRE2 rejects it too)');
    this.flags = saved;
    if (index !== undefined) this.closed.add(index);
    return { t: 'group', kind, body, index };
  }

  private namedGroup(close: string): Node {
    const name = this.until(close);
    if (name === null || !/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(name)) {
      throw new Untranslatable(`group name ${JSON.stringify(name ?? '')} (PCRE2 names are up to 32 ASCII word characters, not starting with a digit)`);
    }
    if (this.names.has(name)) throw new Untranslatable(`two groups named ${name} (PCRE2 rejects it without (?J))`);
    return this.groupBody('capture', name);
  }

  /** `(*pla:...)` and its kin; every other `(*VERB)` is refused. */
  private alphaGroup(): Node {
    const m = /^([a-z_]+):/.exec(
      this.units
        .slice(this.pos, this.pos + 40)
        .map((c) => String.fromCodePoint(c))
        .join(''),
    );
    const kind = m ? ALPHA_ASSERTIONS[m[1]!] : undefined;
    if (m && kind) {
      this.pos += m[0].length;
      return this.groupBody(kind);
    }
    if (this.eat('FAIL)') || this.eat('F)')) return { t: 'group', kind: 'notAhead', body: { t: 'seq', items: [] } };
    const text = this.until(')');
    throw new Untranslatable(`the backtracking verb or setting (*${text ?? ''})`);
  }

  /** `(?i)`, `(?x-i)`, `(?^s)`: for the rest of the group; `(?i:...)`: for that group only. */
  private optionSetting(): Node[] {
    const flags = { ...this.flags };
    let on = true;
    if (this.eat('^')) Object.assign(flags, { i: false, m: false, n: false, s: false, x: 0 });
    for (;;) {
      const c = this.peekChar();
      this.pos++;
      if (c === ')' || c === ':') break;
      if (c === '-' && on) on = false;
      else if (c === 'i' || c === 'm' || c === 'n' || c === 's' || c === 'U') flags[c] = on;
      else if (c === 'x') flags.x = !on ? 0 : this.eat('x') ? 2 : 1;
      else if (c === 'J') throw new Untranslatable('duplicate group names (?J)');
      else throw new Untranslatable(`unknown option letter ${JSON.stringify(c)} in (?...) (PCRE2 rejects it too)`);
    }
    if (this.units[this.pos - 1] === 0x29) {
      this.flags = flags;
      return [];
    }
    const saved = this.flags;
    this.flags = flags;
    const node = this.groupBody('plain');
    this.flags = saved;
    return [node];
  }

  // ---- escapes outside a class ----

  private escape(): Node[] {
    if (this.atEnd()) throw new Untranslatable('\\ at end of pattern (PCRE2 rejects it too)');
    const c = this.peekChar();
    const set = escapeClass(c, this.utf);
    if (set) {
      this.pos++;
      return [{ t: 'set', set: rangeSet(set) }];
    }
    if (isDigit(this.peek())) return [this.numericEscape()];
    this.pos++;
    switch (c) {
      case 'Q':
        return this.quoted();
      case 'b':
        return [{ t: 'assert', js: '\\b' }];
      case 'B':
        return [{ t: 'assert', js: '\\B' }];
      case 'A':
        return [{ t: 'assert', js: ASSERT.start }];
      // nginx always matches from offset 0, where \G is the start of the subject
      case 'G':
        return [{ t: 'assert', js: ASSERT.start }];
      case 'z':
        return [{ t: 'assert', js: ASSERT.end }];
      case 'Z':
        return [{ t: 'assert', js: ASSERT.endOrFinalNewline }];
      case 'N':
        if (this.eat('{U+')) throw new Untranslatable('\\N{U+...}');
        return [{ t: 'set', set: rangeSet([[0x0a, 0x0a]], true) }];
      case 'R':
        return [this.anyNewline()];
      case 'p':
      case 'P':
        return [{ t: 'set', set: this.property(c === 'P') }];
      case 'C':
        if (this.utf) throw new Untranslatable('\\C (one code unit) in UTF mode');
        return [{ t: 'set', set: rangeSet([[0, MAX_BYTE]]) }];
      case 'g':
        return [this.gEscape()];
      case 'k':
        return [this.kEscape()];
      case 'K':
        throw new Untranslatable('\\K (reset the match start)');
      case 'X':
        throw new Untranslatable('\\X (extended grapheme cluster)');
      default:
        this.pos--;
        return [this.literal(this.characterEscape(false))];
    }
  }

  /** \R: CRLF or one vertical space character (PCRE2's default, as Debian builds it); atomic, so `\R\n` does not match CRLF. */
  private anyNewline(): Node {
    const singles: Range[] = this.bsrAnyCrlf
      ? [
          [0x0a, 0x0a],
          [0x0d, 0x0d],
        ]
      : escapeClass('v', this.utf)!;
    const crlf: Node = {
      t: 'seq',
      items: [
        { t: 'set', set: rangeSet([[0x0d, 0x0d]]) },
        { t: 'set', set: rangeSet([[0x0a, 0x0a]]) },
      ],
    };
    return { t: 'group', kind: 'atomic', body: { t: 'alt', alts: [crlf, { t: 'set', set: rangeSet(singles) }] } };
  }

  /** A character given by an escape (after the backslash): \n \x{..} \o{..} \cX \0 octal, or an escaped symbol. */
  private characterEscape(inClass: boolean): number {
    const c = this.peekChar();
    this.pos++;
    if (c in LITERAL_ESCAPES) return LITERAL_ESCAPES[c]!;
    if (inClass && c === 'b') return 0x08;
    if (c === 'x') return this.checkedCode(this.hexEscape(), '\\x');
    if (c === 'o') {
      const digits = this.eat('{') ? this.until('}') : null;
      if (!digits || !/^[0-7]+$/.test(digits)) throw new Untranslatable('malformed \\o{...} (PCRE2 rejects it too)');
      return this.checkedCode(parseInt(digits, 8), '\\o');
    }
    if (c === 'c') {
      const x = this.peek();
      if (x === undefined || x < 0x20 || x > 0x7e) throw new Untranslatable('\\c must be followed by a printable ASCII character (PCRE2 rejects it too)');
      this.pos++;
      return String.fromCharCode(x).toUpperCase().charCodeAt(0) ^ 0x40;
    }
    const cp = this.units[this.pos - 1]!;
    if (isAsciiAlnum(cp)) throw new Untranslatable(`unrecognized escape \\${c} (PCRE2 rejects it too)`);
    return cp;
  }

  private hexEscape(): number {
    if (this.eat('{')) {
      const digits = this.until('}');
      if (!digits || !/^[0-9a-fA-F]+$/.test(digits)) throw new Untranslatable('malformed \\x{...} (PCRE2 rejects it too)');
      return parseInt(digits, 16);
    }
    const digits = this.readDigits(isHex, 2);
    return digits ? parseInt(digits, 16) : 0;
  }

  private checkedCode(cp: number, what: string): number {
    if (cp > this.max || (this.utf && cp >= 0xd800 && cp <= 0xdfff)) {
      throw new Untranslatable(`character value ${what} ${hex(cp)} is too large or a surrogate ${this.utf ? '' : 'for byte mode '}(PCRE2 rejects it too)`);
    }
    return cp;
  }

  private octal(maxDigits: number): number {
    const value = parseInt(this.readDigits(isOctal, maxDigits), 8);
    if (value > this.max) throw new Untranslatable('octal value greater than \\377 in byte mode (PCRE2 rejects it too)');
    return value;
  }

  /**
   * `\0nn` is octal. `\N` is a back reference when N < 10, starts with 8 or 9, or that many groups have opened
   * before it; otherwise up to three octal digits make a character (PCRE2's rule).
   */
  private numericEscape(): Node {
    if (this.peekChar() === '0') return this.literal(this.octal(3));
    const start = this.pos;
    const digits = this.readDigits(isDigit);
    const n = Number(digits);
    if (n < 10 || digits[0] === '8' || digits[0] === '9' || n <= this.groups) return this.backref(n, `\\${digits}`);
    this.pos = start;
    return this.literal(this.octal(3));
  }

  private gEscape(): Node {
    const c = this.peekChar();
    if (c === '<' || c === "'") throw new Untranslatable('a subroutine call \\g<...>');
    let ref: string;
    if (this.eat('{')) {
      const inner = this.until('}');
      if (inner === null) throw new Untranslatable('malformed \\g{...} (PCRE2 rejects it too)');
      ref = inner;
    } else {
      ref = (this.eat('-') ? '-' : this.eat('+') ? '+' : '') + this.readDigits(isDigit);
    }
    const text = `\\g{${ref}}`;
    if (/^\d+$/.test(ref)) return this.backref(Number(ref), text);
    if (/^-\d+$/.test(ref)) return this.backref(this.groups + 1 + Number(ref), text);
    if (/^[A-Za-z_]\w*$/.test(ref)) return this.resolveName(ref, text);
    throw new Untranslatable(`the reference ${text} (PCRE2 rejects it too, or it is a relative forward reference)`);
  }

  private kEscape(): Node {
    const closers: Record<string, string> = { '<': '>', "'": "'", '{': '}' };
    const open = this.peekChar();
    const close = closers[open];
    if (!close) throw new Untranslatable("\\k must be followed by <name>, 'name' or {name} (PCRE2 rejects it too)");
    this.pos++;
    return this.namedBackref(close, `\\k${open}`);
  }

  private namedBackref(close: string, opener: string): Node {
    const name = this.until(close);
    if (name === null) throw new Untranslatable(`unterminated ${opener} reference (PCRE2 rejects it too)`);
    return this.resolveName(name, `${opener}${name}${close}`);
  }

  private resolveName(name: string, text: string): Node {
    const index = this.names.get(name);
    if (index === undefined) throw new Untranslatable(`${text}: a reference to a group not defined before it`);
    return this.backref(index, text);
  }

  /** Only to a group already closed: PCRE2 fails an unset reference where JavaScript would match empty. */
  private backref(index: number, text: string): Node {
    if (index < 1 || !this.closed.has(index)) throw new Untranslatable(`${text}: a reference to a group that does not close before it`);
    if (this.flags.i) throw new Untranslatable(`${text}: a caseless back reference`);
    return { t: 'backref', index, text };
  }

  private property(negated: boolean): CharSet {
    let spec: string | null;
    if (this.eat('{')) spec = this.until('}');
    else spec = this.atEnd() ? null : String.fromCodePoint(this.next());
    if (!spec) throw new Untranslatable('malformed \\p or \\P (PCRE2 rejects it too)');
    return unicodeProperty(spec, negated, this.utf);
  }

  /** `\Q...\E`: every character literal, up to \E or the end of the pattern. */
  private quoted(): Node[] {
    const out: Node[] = [];
    while (!this.atEnd() && !this.eat('\\E')) out.push(this.literal(this.next()));
    return out;
  }

  // ---- classes ----

  private classAtom(): Node {
    const rest = this.units
      .slice(this.pos, this.pos + 7)
      .map((c) => String.fromCodePoint(c))
      .join('');
    if (rest.startsWith('[:<:]]')) {
      this.pos += 6;
      return { t: 'assert', js: ASSERT.wordStart };
    }
    if (rest.startsWith('[:>:]]')) {
      this.pos += 6;
      return { t: 'assert', js: ASSERT.wordEnd };
    }
    if (/^[:.=]/.test(rest) && this.posixOutsideClass()) {
      throw new Untranslatable('POSIX named classes are supported only within a class (PCRE2 rejects it too)');
    }
    return { t: 'set', set: this.characterClass() };
  }

  /** `[:alpha:]` written without the outer brackets, which PCRE2 refuses. */
  private posixOutsideClass(): boolean {
    const delim = this.peek()!;
    for (let k = this.pos + 1; k < this.units.length; k++) {
      if (this.units[k] === 0x5d) return this.units[k - 1] === delim && k - 1 > this.pos;
      if (this.units[k] === 0x5c) return false;
    }
    return false;
  }

  private characterClass(): CharSet {
    const negated = this.eat('^');
    const literals: Range[] = [];
    const sets: CharSet[] = [];
    let first = true;
    let quoting = false;
    for (;;) {
      if (this.atEnd()) throw new Untranslatable('missing terminating ] for character class (PCRE2 rejects it too)');
      if (quoting) {
        if (this.eat('\\E')) quoting = false;
        else {
          const c = this.next();
          literals.push([c, c]);
        }
        first = false;
        continue;
      }
      if (this.peekChar() === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (this.eat('\\Q')) {
        quoting = true;
        continue;
      }
      if (this.eat('\\E')) continue;
      if (this.flags.x === 2 && (this.peek() === 0x20 || this.peek() === 0x09)) {
        this.pos++;
        continue;
      }
      const atom = this.classItem();
      if ('set' in atom) {
        sets.push(atom.set);
        this.refuseRangeAfterSet();
        continue;
      }
      literals.push(this.rangeFrom(atom.char));
    }
    return this.combine(literals, sets, negated);
  }

  private refuseRangeAfterSet(): void {
    if (this.peekChar() === '-' && this.peekChar(1) !== ']' && !this.atEnd()) {
      throw new Untranslatable('invalid range in character class (PCRE2 rejects it too)');
    }
  }

  /** `a` or `a-z`; a `-` before `]`, or written inside \Q..\E, is a literal hyphen. */
  private rangeFrom(lo: number): Range {
    if (this.peekChar() !== '-' || this.peekChar(1) === ']' || this.peek(1) === undefined) return [lo, lo];
    if (this.peekChar(1) === '\\' && (this.peekChar(2) === 'Q' || this.peekChar(2) === 'E')) return [lo, lo];
    this.pos++;
    const hiAtom = this.classItem();
    if ('set' in hiAtom) throw new Untranslatable('invalid range in character class (PCRE2 rejects it too)');
    if (hiAtom.char < lo) throw new Untranslatable('range out of order in character class (PCRE2 rejects it too)');
    return [lo, hiAtom.char];
  }

  private classItem(): ClassAtom {
    const posix = this.posixItem();
    if (posix) return { set: posix };
    const c = this.next();
    if (c !== 0x5c) return { char: c };
    if (this.atEnd()) throw new Untranslatable('\\ at end of pattern (PCRE2 rejects it too)');
    const letter = this.peekChar();
    const fixed = escapeClass(letter, this.utf);
    if (fixed) {
      this.pos++;
      return { set: rangeSet(fixed) };
    }
    if (letter === 'p' || letter === 'P') {
      this.pos++;
      return { set: this.property(letter === 'P') };
    }
    if (isOctal(this.peek())) return { char: this.octal(3) };
    if (letter === '8' || letter === '9') {
      this.pos++;
      return { char: letter.charCodeAt(0) };
    }
    if ('NRXBAzZGKgk'.includes(letter)) throw new Untranslatable(`escape sequence \\${letter} is invalid in a character class (PCRE2 rejects it too)`);
    return { char: this.characterEscape(true) };
  }

  /** `[:alpha:]`, `[:^digit:]` inside a class. */
  private posixItem(): CharSet | null {
    const text = this.units
      .slice(this.pos, this.pos + 16)
      .map((c) => String.fromCodePoint(c))
      .join('');
    if (/^\[([.=]).*?\1\]/.test(text)) throw new Untranslatable('POSIX collating elements [. .] and [= =] (PCRE2 rejects them too)');
    const m = /^\[:(\^?)([a-z]+):\]/.exec(text);
    if (!m) return null;
    this.pos += m[0].length;
    const ranges = posixClass(m[2]!, this.flags.i);
    return rangeSet(m[1] ? complement(ranges, this.max) : ranges);
  }

  /** Literal characters are case-folded when caseless; \d, POSIX classes and properties are not (as in PCRE2). */
  private combine(literals: Range[], sets: CharSet[], negated: boolean): CharSet {
    const folded = this.flags.i ? caseClosure(literals, this.utf) : literals;
    return {
      ranges: normalize([...folded, ...sets.flatMap((s) => s.ranges)]),
      props: sets.flatMap((s) => s.props),
      complements: sets.flatMap((s) => s.complements),
      negated,
    };
  }
}

/** Reads a PCRE2 pattern; in byte mode the pattern's own text is read as its UTF-8 bytes, as nginx hands it over. */
export function parsePcre(source: string, caseless: boolean): Parsed {
  const start = startOptions(source);
  const units = start.utf ? Array.from(start.rest, (c) => c.codePointAt(0)!) : [...Buffer.from(start.rest, 'utf8')];
  return new Parser(units, start.utf, start.bsrAnyCrlf, caseless).parse();
}
