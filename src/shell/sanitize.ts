/**
 * The one sanitiser: text from a box, a recording, a flow file or the command line is untrusted, and
 * everything that becomes screen text goes through stripControl() first (the wizard's Text, every stderr
 * line, route's text, the early frame). What it takes out:
 * - every escape sequence, in its 7-bit (ESC ...) and 8-bit (C1) form: CSI (colours, cursor moves,
 *   clearing), OSC (0 title, 8 hyperlink, 52 clipboard), DCS, SOS, PM, APC, and the short ESC ones;
 * - every C0 control but tab and newline (a carriage return could overwrite what is shown), DEL, C1;
 * - invisible format characters (Unicode Cf: bidi embeddings, overrides, isolates and marks, zero-width
 *   characters, tags) and the line and paragraph separators, which can reorder or hide what a person reads.
 * What is left holds no character a terminal acts on. A command line a person may paste is not stripped
 * but written visibly (src/shell/quote.ts), so what is shown is what runs.
 */

/** ESC [ or C1 CSI, parameters, intermediates, the final byte. */
const CSI = String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]`;
/** OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \ or C1 ST). */
const STRING = String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)`;
/** Every other escape: ESC, intermediates, a final byte (charset switches, DECALN, keypad modes, RIS). */
const SHORT = String.raw`\x1b[\x20-\x2f]*[\x30-\x7e]`;
const ESCAPES = new RegExp(`${CSI}|${STRING}|${SHORT}`, 'g');

/** Every control character (tab and newline too), DEL, C1, and the invisible format characters. */
const CONTROL = /[\x00-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]/gu;

/** Text as it may be shown: no escape sequence, no control but tab and newline, no invisible format character. */
export function stripControl(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROL, (c) => (c === '\t' || c === '\n' ? c : ''));
}

/** Whether a text holds anything stripControl() would change, tabs and newlines included. */
export function hasControl(text: string): boolean {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text);
}

/** One line of it: a line break is shown as the two characters `\n` (`\r`), so a value cannot pose as a line of its own. */
export function oneLine(text: string): string {
  return stripControl(text.replace(/\r/g, '\\r').replace(/\n/g, '\\n'));
}

/** A character as JSON's \\u escapes: one per UTF-16 unit, so a character beyond U+FFFF is its surrogate pair. */
const jsonEscape = (c: string): string => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/**
 * JSON as printed (--json, route --json, undo --json): the same values, but every character a terminal
 * acts on or hides written as a \u escape. JSON.stringify escapes C0 only; DEL, C1 and bidi controls would
 * reach a terminal that shows the output raw.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\x7f-\x9f\p{Cf}\u2028\u2029]/gu, jsonEscape);
}
