/**
 * nginx's regexes (`location ~`, `server_name ~`, `map`, `rewrite`, `if ($x ~ re)`) are PCRE2; we evaluate them
 * as JavaScript RegExps translated construct by construct, keeping PCRE2's semantics and group numbers
 * (test/integration/pcre-oracle.test.ts holds the translation against pcre2test).
 *
 * As nginx compiles them: no PCRE2_UTF, so the subject and the pattern are bytes (a JavaScript string is
 * matched as its UTF-8 bytes, and captures are decoded back), newline is LF, `~*` is PCRE2_CASELESS. A pattern
 * that starts with (*UTF) is matched on code points.
 *
 * Where the engines differ and no rewriting makes them agree, the pattern is refused with the construct named,
 * never compiled with other semantics: recursion, conditionals, backtracking verbs, \K, caseless back references,
 * and the few repeats where PCRE2 keeps a capture from an earlier iteration that JavaScript clears.
 */
import { Untranslatable, type CharSet, type Range } from './pcre-charset.js';
import { execWithDeadline } from './pcre-deadline.js';
import { parsePcre, type Node, type Parsed } from './pcre-parse.js';

export interface PcreMatch {
  /** index 0: the whole match; 1..n: PCRE's own group numbers */
  groups: (string | undefined)[];
  named: Record<string, string | undefined>;
}

export type CompiledPcre = { ok: true; exec(subject: string): PcreMatch | null } | { ok: false; reason: string };

/**
 * `caseless` is nginx's `~*`. The reason of a refusal names the construct (and says so when PCRE2 itself
 * rejects the pattern, as nginx -t would).
 */
export function compilePcre(source: string, caseless: boolean): CompiledPcre {
  let parsed: Parsed;
  let translated: Translation;
  let re: RegExp;
  try {
    parsed = parsePcre(source, caseless);
    check(parsed.root);
    translated = emit(parsed);
    re = new RegExp(translated.source, 'u');
  } catch (e) {
    if (e instanceof Untranslatable) return { ok: false, reason: e.message };
    if (e instanceof SyntaxError) return { ok: false, reason: `the translation is not a valid JavaScript RegExp (${e.message})` };
    throw e;
  }
  const exec = backtracksWithoutBound(parsed.root) ? (input: string) => execWithDeadline(re, input, source) : (input: string) => re.exec(input);
  return { ok: true, exec: (subject) => run(exec, parsed, translated.jsIndex, subject) };
}

/**
 * A repeat around something that can itself match in several ways (another repeat, an alternation) can take
 * exponential time on a subject that almost matches: such a pattern is matched under a deadline.
 */
function backtracksWithoutBound(root: Node): boolean {
  let risky = false;
  walk(root, ({ node }) => {
    if (node.t !== 'repeat' || node.max <= 1 || node.mode === 'possessive') return;
    walk(node.body, ({ node: inner }) => {
      if ((inner.t === 'repeat' && inner.max > 1) || inner.t === 'alt' || inner.t === 'backref') risky = true;
    });
  });
  return risky;
}

/** The JavaScript RegExp source for a pattern (flag `u`), matched against bytes as Latin-1 unless (*UTF); throws Untranslatable. */
export function translatePcre(source: string, caseless: boolean): string {
  const parsed = parsePcre(source, caseless);
  check(parsed.root);
  return emit(parsed).source;
}

interface Translation {
  source: string;
  /** PCRE2 group number -> JavaScript group number (helper groups shift the latter). */
  jsIndex: number[];
}

function run(exec: (input: string) => RegExpExecArray | null, parsed: Parsed, jsIndex: number[], subject: string): PcreMatch | null {
  const bytes = !parsed.utf;
  const m = exec(bytes ? Buffer.from(subject, 'utf8').toString('latin1') : subject);
  if (!m) return null;
  const decode = (s: string | undefined) => (s === undefined || !bytes ? s : Buffer.from(s, 'latin1').toString('utf8'));
  const groups = [decode(m[0])];
  for (let n = 1; n <= parsed.groupCount; n++) groups.push(decode(m[jsIndex[n]!]));
  // fromEntries defines own properties, so even a group named __proto__ is reported
  const named = Object.fromEntries([...parsed.names].map(([name, n]) => [name, groups[n]]));
  return { groups, named };
}

// ---- lengths ----

const LOOKAROUND = new Set(['ahead', 'notAhead', 'behind', 'notBehind']);

function minLength(node: Node): number {
  switch (node.t) {
    case 'set':
      return 1;
    case 'assert':
    case 'backref':
      return 0;
    case 'seq':
      return node.items.reduce((sum, n) => sum + minLength(n), 0);
    case 'alt':
      return Math.min(...node.alts.map(minLength));
    case 'group':
      return LOOKAROUND.has(node.kind) ? 0 : minLength(node.body);
    case 'repeat':
      return node.min * minLength(node.body);
  }
}

/** The one length everything the node matches has, or null. */
function fixedLength(node: Node): number | null {
  switch (node.t) {
    case 'set':
      return 1;
    case 'assert':
      return 0;
    case 'backref':
      return null;
    case 'seq': {
      const lengths = node.items.map(fixedLength);
      return lengths.some((l) => l === null) ? null : lengths.reduce((a: number, b) => a + b!, 0);
    }
    case 'alt': {
      const lengths = node.alts.map(fixedLength);
      return lengths.every((l) => l !== null && l === lengths[0]) ? lengths[0]! : null;
    }
    case 'group':
      return LOOKAROUND.has(node.kind) ? 0 : fixedLength(node.body);
    case 'repeat': {
      const body = fixedLength(node.body);
      if (body === 0) return 0;
      return body !== null && node.min === node.max ? body * node.min : null;
    }
  }
}

const matchesOnlyEmpty = (node: Node): boolean => fixedLength(node) === 0;

/**
 * True when the node never offers the empty match before a non-empty one. For a repeated body without
 * captures, that is what makes JavaScript's rule (an iteration that matched empty is rejected) reach the same
 * result as PCRE2's (it is accepted, and ends the loop).
 */
function emptyLast(node: Node): boolean {
  if (minLength(node) > 0) return true;
  switch (node.t) {
    case 'set':
    case 'assert':
    case 'backref':
      return true;
    case 'seq':
      return node.items.every(emptyLast);
    case 'alt': {
      const firstEmpty = node.alts.findIndex((a) => minLength(a) === 0);
      return emptyLast(node.alts[firstEmpty]!) && node.alts.slice(firstEmpty + 1).every(matchesOnlyEmpty);
    }
    case 'group':
      return node.kind !== 'capture' && node.kind !== 'plain' ? true : emptyLast(node.body);
    case 'repeat':
      if (node.mode === 'possessive') return true;
      return node.mode === 'greedy' ? emptyLast(node.body) : matchesOnlyEmpty(node.body);
  }
}

// ---- checks ----

const children = (node: Node): Node[] => {
  switch (node.t) {
    case 'seq':
      return node.items;
    case 'alt':
      return node.alts;
    case 'group':
    case 'repeat':
      return [node.body];
    default:
      return [];
  }
};

/** Always entered when its parent is (so a capture below it is set whenever its parent matched). */
function unconditional(node: Node): boolean {
  if (node.t === 'alt') return false;
  if (node.t === 'repeat') return node.min > 0;
  if (node.t === 'group') return node.kind !== 'notAhead' && node.kind !== 'notBehind';
  return true;
}

interface Visit {
  node: Node;
  /** From the root down to the node's parent. */
  path: Node[];
}

function walk(root: Node, visit: (v: Visit) => void): void {
  const go = (node: Node, path: Node[]) => {
    visit({ node, path });
    for (const child of children(node)) go(child, [...path, node]);
  };
  go(root, []);
}

/** Captures in a negative lookaround are never set, in either engine, so they never differ. */
function settableCaptures(node: Node, path: Node[] = []): { node: Node; path: Node[] }[] {
  if (node.t === 'group' && (node.kind === 'notAhead' || node.kind === 'notBehind')) return [];
  const own = node.t === 'group' && node.kind === 'capture' ? [{ node, path }] : [];
  return [...own, ...children(node).flatMap((c) => settableCaptures(c, [...path, node]))];
}

function check(root: Node): void {
  const capturePaths = new Map<number, Node[]>();
  walk(root, ({ node, path }) => {
    if (node.t === 'group' && node.kind === 'capture') capturePaths.set(node.index!, [...path, node]);
    if (node.t === 'group' && (node.kind === 'behind' || node.kind === 'notBehind')) checkLookbehind(node.body);
    if (node.t === 'repeat') checkRepeat(node);
    if (node.t === 'backref') checkBackref(node, path, capturePaths.get(node.index)!);
  });
}

function checkLookbehind(body: Node): void {
  walk(body, ({ node }) => {
    if (node.t === 'backref') throw new Untranslatable(`${node.text}: a back reference inside a lookbehind`);
  });
  const alternatives = body.t === 'alt' ? body.alts : [body];
  if (alternatives.some((a) => fixedLength(a) === null)) {
    throw new Untranslatable('a lookbehind assertion that is not fixed length (PCRE2 10.42 rejects it too)');
  }
}

function checkRepeat(node: Extract<Node, { t: 'repeat' }>): void {
  if (node.max <= 1) return;
  const captures = settableCaptures(node.body);
  // JavaScript rejects an empty iteration only past the minimum count, so an exact count {n} is safe
  if (node.max > node.min && minLength(node.body) === 0 && (captures.length > 0 || !emptyLast(node.body))) {
    throw new Untranslatable('a repeated group that can match the empty string (PCRE2 and JavaScript end such loops differently)');
  }
  // JavaScript clears the captures inside a repeated group at each iteration; PCRE2 keeps the last value set.
  if (captures.some(({ path }) => !path.every(unconditional))) {
    throw new Untranslatable("a capture that an iteration of a repeated group can skip (PCRE2 keeps the earlier iteration's value, JavaScript clears it)");
  }
}

/** The group must have been set whenever the reference is reached: JavaScript matches an unset group as empty. */
function checkBackref(node: Extract<Node, { t: 'backref' }>, path: Node[], groupPath: Node[]): void {
  let common = 0;
  while (common < path.length && path[common] === groupPath[common]) common++;
  const between = groupPath.slice(common, -1);
  if (path[common - 1]?.t !== 'seq' || !between.every(unconditional)) {
    throw new Untranslatable(`${node.text}: a back reference to a group that may be unset there (PCRE2 fails it, JavaScript matches it as empty)`);
  }
}

// ---- emitting JavaScript ----

function codePoint(cp: number): string {
  return /[A-Za-z0-9]/.test(String.fromCharCode(cp)) && cp < 0x80 ? String.fromCharCode(cp) : `\\u{${cp.toString(16)}}`;
}

const rangeText = ([lo, hi]: Range): string => (lo === hi ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`);

function setText(set: CharSet): string {
  const body = set.ranges.map(rangeText).join('') + set.props.join('');
  if (!set.complements.length) {
    const only = set.ranges[0];
    if (!set.negated && !set.props.length && set.ranges.length === 1 && only![0] === only![1]) return codePoint(only![0]);
    return `[${set.negated ? '^' : ''}${body}]`;
  }
  const parts = [...(body ? [`[${body}]`] : []), ...set.complements.map((c) => `[^${c}]`)].join('|');
  return set.negated ? `(?!${parts})[\\s\\S]` : `(?:${parts})`;
}

function quantifierText(min: number, max: number): string {
  if (max === Infinity) return min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  return min === max ? `{${min}}` : `{${min},${max}}`;
}

function emit(parsed: Parsed): Translation {
  const jsIndex: number[] = [0];
  let jsGroups = 0;
  let behind = 0;

  /** `(?=(X))\N`: the lookahead does not backtrack, the reference consumes what it matched. */
  const atomic = (body: () => string): string => {
    if (behind) return `(?:${body()})`; // inside a fixed-length lookbehind an atomic group changes nothing
    const helper = ++jsGroups;
    return `(?=(${body()}))(?:\\${helper})`;
  };

  const repeat = (node: Extract<Node, { t: 'repeat' }>): string => {
    if (node.mode === 'possessive') return atomic(() => repeat({ ...node, mode: 'greedy' }));
    const body = out(node.body);
    // an alternation, not `?`: PCRE2 accepts an optional item that matched empty, JavaScript's `?` would not
    if (node.min === 0 && node.max === 1) return node.mode === 'lazy' ? `(?:|${body})` : `(?:${body}|)`;
    return `(?:${body})${quantifierText(node.min, node.max)}${node.mode === 'lazy' ? '?' : ''}`;
  };

  const group = (node: Extract<Node, { t: 'group' }>): string => {
    switch (node.kind) {
      case 'capture': {
        jsIndex[node.index!] = ++jsGroups;
        return `(${out(node.body)})`;
      }
      case 'plain':
        return `(?:${out(node.body)})`;
      case 'atomic':
        return atomic(() => out(node.body));
      case 'ahead':
        return `(?=${out(node.body)})`;
      case 'notAhead':
        return `(?!${out(node.body)})`;
      case 'behind':
      case 'notBehind': {
        behind++;
        const text = `(?<${node.kind === 'behind' ? '=' : '!'}${out(node.body)})`;
        behind--;
        return text;
      }
    }
  };

  const out = (node: Node): string => {
    switch (node.t) {
      case 'set':
        return setText(node.set);
      case 'assert':
        return node.js;
      case 'seq':
        return node.items.map(out).join('');
      case 'alt':
        return `(?:${node.alts.map(out).join('|')})`;
      case 'group':
        return group(node);
      case 'repeat':
        return repeat(node);
      case 'backref':
        return `(?:\\${jsIndex[node.index]})`;
    }
  };

  return { source: out(parsed.root), jsIndex };
}
