import { describe, expect, it } from 'vitest';
import { hasControl, jsonText, oneLine, stripControl } from '../../../src/shell/sanitize.js';
import { firstRawControl, HOSTILE, HOSTILE_PIECES, randomHostile, seeded } from '../../hostile.js';

describe('stripControl: the one sanitiser', () => {
  it('removes each kind of escape sequence whole, leaving none of its payload', () => {
    expect(stripControl('a\x1b]52;c;ZWNobyBwd25lZA==\x07b')).toBe('ab');
    expect(stripControl('a\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\b')).toBe('aclickb');
    expect(stripControl('a\x1b]0;pwned\x07b')).toBe('ab');
    expect(stripControl('a\x9d0;title\x9cb')).toBe('ab');
    expect(stripControl('a\x1bP+q544e\x1b\\b\x1b_apc\x1b\\c\x1b^pm\x1b\\d\x1bXsos\x1b\\e')).toBe('abcde');
    expect(stripControl('a\x1b[2J\x1b[31;1mb\x9b6nc')).toBe('abc');
    expect(stripControl('a\x1b(0b\x1bcc\x1b#8d')).toBe('abcd');
  });

  it('removes C0 but tab and newline, DEL, C1, NUL and a carriage return that would overwrite the line', () => {
    expect(stripControl('a\x00b\x07c\x08d\x7fe\x85f\rg\th\ni')).toBe('abcdefg\th\ni');
  });

  it('removes bidi overrides, embeddings, isolates, marks, zero-width and tag characters', () => {
    expect(stripControl('invoice\u202egnp.exe')).toBe('invoicegnp.exe');
    expect(stripControl('a\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061cb')).toBe('ab');
    expect(stripControl('a\u200b\u2060\ufeff\u2028\u2029\u{e0041}b')).toBe('ab');
  });

  it('leaves ordinary text alone: accents, CJK, emoji, punctuation, tabs and newlines', () => {
    const ordinary = 'café 中文 🙂 [x](y) <b> $(id) \'q\' "d" \\ `t`\tend\nnext';
    expect(stripControl(ordinary)).toBe(ordinary);
    expect(hasControl(ordinary.replace(/[\t\n]/g, ''))).toBe(false);
  });

  it('an unterminated OSC loses its introducer: what is left is plain text', () => {
    const out = stripControl('a\x1b]52;c;ZZZZ');
    expect(out).toBe('a52;c;ZZZZ');
    expect(firstRawControl(out)).toBeNull();
  });

  it('over 3000 random hostile texts: no raw control survives, nothing visible is invented, and it is idempotent', () => {
    const random = seeded(16);
    for (let i = 0; i < 3000; i++) {
      const input = randomHostile(random);
      const out = stripControl(input);
      expect(firstRawControl(out), JSON.stringify(input)).toBeNull();
      expect(stripControl(out)).toBe(out);
      // Only removal: the output is the input with characters taken out, in order.
      let at = 0;
      for (const ch of out) {
        at = input.indexOf(ch, at);
        expect(at, JSON.stringify(input)).toBeGreaterThanOrEqual(0);
        at += ch.length;
      }
    }
  });

  it('every hostile piece together leaves only the visible words', () => {
    expect(firstRawControl(stripControl(HOSTILE))).toBeNull();
    expect(stripControl(HOSTILE)).toContain('evil');
    expect(stripControl(HOSTILE)).toContain('name');
    for (const piece of HOSTILE_PIECES) expect(hasControl(piece), JSON.stringify(piece)).toBe(true);
  });
});

describe('oneLine', () => {
  it('shows a line break as \\n, so a value cannot start a line of its own', () => {
    expect(oneLine('a\nAnswer: forged\r\x1b[2Jb')).toBe('a\\nAnswer: forged\\rb');
  });
});

describe('jsonText: --json as printed', () => {
  it('keeps every value (it parses back to the same) with no raw control, C1 or bidi character', () => {
    const random = seeded(52);
    for (let i = 0; i < 500; i++) {
      const value = { line: randomHostile(random), nested: [randomHostile(random)] };
      const text = jsonText(value);
      expect(JSON.parse(text)).toEqual(value);
      expect(firstRawControl(text.replace(/\n/g, ''))).toBeNull();
    }
  });

  it('writes a tag character beyond U+FFFF as its surrogate pair', () => {
    expect(jsonText('a\u{e0041}')).toBe('"a\\udb40\\udc41"');
  });
});
