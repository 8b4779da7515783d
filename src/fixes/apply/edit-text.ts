/**
 * Planned config edits applied to a file's text, as it is now. Pure. A planner names the line and the
 * directive as it read it (`before`); the file must still say exactly that there, or nothing is changed.
 */
import type { ConfigEdit } from '../plan.js';

export type EditedText = { ok: true; text: string; diff: string[] } | { ok: false; problem: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A pattern for `before` that allows other spacing between its words (a config may write
 * `proxy_pass   http://x ;`), but nothing else: every word, quote and `;` as the planner read them.
 */
function beforePattern(before: string): RegExp {
  const tokens = before.trim().match(/[;{}]|[^\s;{}]+/g) ?? [];
  let source = '';
  tokens.forEach((token, i) => {
    const previous = tokens[i - 1];
    if (previous !== undefined) source += /^[;{}]$/.test(token) || /^[;{}]$/.test(previous) ? '\\s*' : '\\s+';
    source += escapeRegExp(token);
  });
  // A directive starts a line or follows another statement; `keepalive 4;` must not match `xkeepalive 4;`.
  return new RegExp(`(?<=^|[\\s{};])${source}`, 'g');
}

/** The file's lines, each without its line ending; `eol` is what this file uses. */
function splitLines(text: string): { lines: string[]; eol: string } {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  return { lines: text.split(eol), eol };
}

/**
 * The text with every edit applied. Edits of one line apply one after the other; a multi-line `after`
 * gets the line's own indentation on its continuation lines.
 */
export function applyEdits(text: string, edits: readonly ConfigEdit[], file: string): EditedText {
  const { lines, eol } = splitLines(text);
  const original = [...lines];
  for (const edit of edits) {
    const index = edit.line - 1;
    const line = lines[index];
    if (line === undefined) return { ok: false, problem: `${file} has no line ${edit.line} any more (it has ${lines.length} lines)` };
    if (edit.before.trim() === '') return { ok: false, problem: `the change at ${file}:${edit.line} does not say which text it replaces; make it by hand` };
    const pattern = beforePattern(edit.before);
    const found = [...line.matchAll(pattern)];
    if (found.length === 0) {
      return { ok: false, problem: `${file}:${edit.line} no longer says "${edit.before}" (it says "${line.trim()}"): the file changed since the diagnosis; run the diagnosis again` };
    }
    if (found.length > 1) return { ok: false, problem: `${file}:${edit.line} says "${edit.before}" ${found.length} times; make this change by hand` };
    const match = found[0] as RegExpMatchArray;
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    const after = edit.after
      .split('\n')
      .map((part, i) => (i === 0 ? part : `${indent}${part}`))
      .join(eol);
    const at = match.index ?? 0;
    lines[index] = line.slice(0, at) + after + line.slice(at + match[0].length);
  }
  return { ok: true, text: lines.join(eol), diff: diffOf(original, lines, eol) };
}

/** A unified-style diff of the changed lines, one line of context around each, numbered as in the file. */
export function diffOf(before: readonly string[], after: readonly string[], eol = '\n'): string[] {
  const out: string[] = [];
  let lastShown = -1;
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    const from = Math.max(i - 1, lastShown + 1);
    if (from > lastShown + 1 || lastShown < 0) out.push(`@@ line ${i + 1} @@`);
    for (let c = from; c < i; c++) out.push(`  ${before[c]}`);
    out.push(`- ${before[i]}`);
    for (const part of (after[i] ?? '').split(eol)) out.push(`+ ${part}`);
    lastShown = i;
    const next = i + 1;
    if (next < before.length && before[next] === after[next]) {
      out.push(`  ${before[next]}`);
      lastShown = next;
    }
  }
  return out.map((l) => l.replace(/\r$/, ''));
}
