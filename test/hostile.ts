/**
 * Hostile text for the tests that hold it off the terminal (issue 16): every kind of escape sequence, the
 * controls a terminal acts on and the invisible characters that reorder or hide what a person reads.
 */
export const HOSTILE_PIECES = [
  '\x1b]52;c;ZWNobyBwd25lZA==\x07', // OSC 52: write the clipboard (BEL)
  '\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\', // OSC 8: a hyperlink (ST)
  '\x1b]0;pwned\x07', // OSC 0: the window title
  '\x9d0;c1 title\x9c', // OSC in its C1 form
  '\x1bP+q544e\x1b\\', // DCS
  '\x1b_apc\x1b\\', // APC
  '\x1b^pm\x1b\\', // PM
  '\x1bXsos\x1b\\', // SOS
  '\x1b[2J\x1b[H', // CSI: clear, home
  '\x1b[31;1m', // CSI: colour
  '\x9b6n', // CSI in its C1 form: report the cursor
  '\x1b(0', // charset switch
  '\x1bc', // reset
  '\x1b#8', // DECALN
  '\r', // back to the line's start, to overwrite it
  '\x00', // NUL
  '\x07', // BEL
  '\x08', // backspace
  '\x7f', // DEL
  '\x85', // C1 NEL
  '\u202e', // RIGHT-TO-LEFT OVERRIDE
  '\u202a\u202b\u202c\u202d', // embeddings and pop
  '\u2066\u2067\u2068\u2069', // isolates
  '\u200e\u200f\u061c', // marks
  '\u200b\u2060\ufeff', // zero-width
  '\u2028\u2029', // line and paragraph separators
  '\u{e0041}\u{e0042}', // tag characters
] as const;

/** All of them in one value, around a visible word. */
export const HOSTILE = `evil${HOSTILE_PIECES.join('')}name`;

/** A character no screen, stderr line or report may hold raw: every control but tab and newline, DEL, C1, Cf, U+2028/9. */
export const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]/u;

/** The first raw control in a text, as its code, or null: a failing assertion names it. */
export function firstRawControl(text: string): string | null {
  const found = RAW_CONTROL.exec(text);
  return found ? `U+${(found[0].codePointAt(0) as number).toString(16).padStart(4, '0')} at ${found.index}: ${JSON.stringify(text.slice(Math.max(0, found.index - 20), found.index + 20))}` : null;
}

/** A small seeded generator (mulberry32), so a random run can be repeated from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random text of hostile pieces, single code points of any plane, and ordinary words. */
export function randomHostile(random: () => number, pieces = 12): string {
  const ordinary = ['nginx', ' ', '/var/run/php.sock', 'é', '中文', '🙂', '$(id)', "'", '\\', '\t', '\n', '`', '[x](y)'];
  let out = '';
  for (let i = 0; i < pieces; i++) {
    const pick = random();
    if (pick < 0.4) out += HOSTILE_PIECES[Math.floor(random() * HOSTILE_PIECES.length)];
    else if (pick < 0.7) out += ordinary[Math.floor(random() * ordinary.length)];
    else {
      const cp = random() < 0.5 ? Math.floor(random() * 0x250) : Math.floor(random() * 0x10ffff);
      out += cp >= 0xd800 && cp <= 0xdfff ? 'x' : String.fromCodePoint(cp);
    }
  }
  return out;
}
