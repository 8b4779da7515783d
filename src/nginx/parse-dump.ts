import { posix } from 'node:path';
import type { ConfigError, ConfigFile, Directive, NginxConfig } from './config-types.js';
import { type BlockSource, LazyFileBase, LazyServer } from './lazy-server.js';

/** What Lexer.next() found; a word's text and every token's line are on the lexer (no object per token). */
type TokenKind = 'word' | ';' | '{' | '}' | 'eof';

const SPACE = new Set([' ', '\t', '\r', '\n']);

/** Directives whose `{ ... }` holds Lua code, not nginx directives (lua-nginx-module). */
const isRawBlock = (name: string): boolean => name.endsWith('_by_lua_block') || name === 'lua_block';

/** nginx's own unescaping of a token: \" \' \\ collapse, \t \r \n become control characters, other backslashes stay. */
function unescapeToken(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    const next = raw[i + 1];
    if (ch !== '\\' || next === undefined) {
      out += ch;
    } else if (next === '"' || next === "'" || next === '\\') {
      out += next;
      i++;
    } else if (next === 't' || next === 'r' || next === 'n') {
      out += next === 't' ? '\t' : next === 'r' ? '\r' : '\n';
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

class Lexer {
  private pos = 0;
  line = 1;
  /** The last word's text, and the line the last token started on. */
  value = '';
  tokenLine = 1;

  constructor(
    private readonly text: string,
    private readonly fail: (line: number, error: string) => void,
  ) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private take(): string {
    const ch = this.text[this.pos++]!;
    if (ch === '\n') this.line++;
    return ch;
  }

  next(): TokenKind {
    // Blanks and comments skipped by char code: a big config is mostly indentation.
    const text = this.text;
    let pos = this.pos;
    let line = this.line;
    for (;;) {
      const code = text.charCodeAt(pos);
      if (code === 10) {
        line++;
        pos++;
      } else if (code === 32 || code === 9 || code === 13) {
        pos++;
      } else if (code === 35) {
        // A comment runs to the end of its line; the newline itself is counted when it is passed.
        const eol = text.indexOf('\n', pos);
        pos = eol === -1 ? text.length : eol;
      } else {
        break;
      }
    }
    this.pos = pos;
    this.line = line;
    this.tokenLine = line;
    if (pos >= text.length) return 'eof';
    const ch = this.take();
    if (ch === ';' || ch === '{' || ch === '}') return ch;
    this.value = ch === '"' || ch === "'" ? this.quoted(ch) : this.word(ch);
    return 'word';
  }

  private quoted(quote: string): string {
    let raw = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        this.fail(this.line, 'unexpected end of file, expecting closing quote');
        return unescapeToken(raw);
      }
      this.take();
      if (ch === quote) break;
      raw += ch;
      if (ch === '\\' && this.peek() !== undefined) raw += this.take();
    }
    // nginx wants a separator right after a closing quote; ")" is allowed for if (...) conditions.
    const after = this.peek();
    if (after !== undefined && !SPACE.has(after) && after !== ';' && after !== '{' && after !== ')') {
      this.fail(this.line, `unexpected "${after}"`);
    }
    return unescapeToken(raw);
  }

  private word(first: string): string {
    // Scanned by index and cut once: a big config is mostly words.
    const text = this.text;
    const start = this.pos - 1;
    let i = this.pos;
    if (first === '\\' && i < text.length) i++;
    for (;;) {
      const code = text.charCodeAt(i);
      // NaN past the end; blanks and ";" end a word.
      if (Number.isNaN(code) || code === 32 || code === 9 || code === 13 || code === 10 || code === 59) break;
      // "{" ends a word, except right after "$" where it opens ${name}.
      if (code === 123 && text.charCodeAt(i - 1) !== 36) break;
      i += code === 92 && i + 1 < text.length ? 2 : 1;
    }
    const raw = text.slice(start, i);
    this.advanceTo(i);
    return raw.includes('\\') ? unescapeToken(raw) : raw;
  }

  /** Moves to `end`, counting the newlines passed. */
  private advanceTo(end: number): void {
    for (let at = this.text.indexOf('\n', this.pos); at !== -1 && at < end; at = this.text.indexOf('\n', at + 1)) this.line++;
    this.pos = end;
  }

  /** The level of a Lua long bracket `[`, `=`*level, `[` starting at `at`, or -1 when there is none. */
  private longBracketAt(at: number): number {
    if (this.text[at] !== '[') return -1;
    let level = 0;
    while (this.text[at + 1 + level] === '=') level++;
    return this.text[at + 1 + level] === '[' ? level : -1;
  }

  /** Where a short Lua string opened at `at` ends (after its quote), or -1 when it does not close on its line. */
  private quotedEnd(at: number): number {
    const quote = this.text[at];
    for (let i = at + 1; i < this.text.length; i++) {
      const ch = this.text[i];
      if (ch === quote) return i + 1;
      if (ch === '\n') return -1;
      if (ch === '\\') {
        if (this.text[i + 1] === '\n') return -1;
        i++;
      }
    }
    return -1;
  }

  /**
   * Reads a Lua body up to the "}" that balances an already consumed "{", returning the text between them,
   * or null at end of file. Braces inside Lua strings, long brackets and comments do not count. The rules
   * are lua-nginx-module's block lexer (what OpenResty itself reads): short strings end on their own line,
   * a quote with no closing one on that line is plain text, and an unclosed long bracket runs to end of file.
   */
  luaBlock(): string | null {
    const start = this.pos;
    let depth = 1;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      const isComment = ch === '-' && this.text[this.pos + 1] === '-';
      const opener = isComment ? this.pos + 2 : this.pos;
      const level = this.longBracketAt(opener);
      if (level >= 0) {
        const closer = `]${'='.repeat(level)}]`;
        const close = this.text.indexOf(closer, opener + level + 2);
        if (close === -1) break;
        this.advanceTo(close + closer.length);
      } else if (isComment) {
        const eol = this.text.indexOf('\n', this.pos);
        this.advanceTo(eol === -1 ? this.text.length : eol);
      } else if (ch === '"' || ch === "'") {
        const end = this.quotedEnd(this.pos);
        this.advanceTo(end === -1 ? this.pos + 1 : end);
      } else {
        this.take();
        if (ch === '{') depth++;
        if (ch === '}' && --depth === 0) return this.text.slice(start, this.pos - 1).trim();
      }
    }
    this.advanceTo(this.text.length);
    return null;
  }
}

interface ParsedText {
  parsed: Directive[];
  errors: ConfigError[];
  /** False when the text ends inside a block, a quoted string, a Lua body or an unfinished directive. */
  complete: boolean;
  /** Its include directives, blocks included, in order (includesOf). */
  includes: Directive[];
}

/** Lexes and parses one nginx config file into crossplane-shaped directives; syntax errors are returned, not thrown. */
export function parseConfigText(text: string, file: string): ParsedText {
  const parser = new Parser(text, file);
  const parsed = parser.block(0);
  return { parsed, errors: parser.errors ?? NO_ERRORS, complete: parser.complete, includes: parser.includes ?? NO_INCLUDES };
}

/** The errors and the includes of a file with none: one array each for 20,000 vhosts (frozen: nothing writes to a parse). */
const NO_ERRORS: ConfigError[] = Object.freeze([]) as unknown as ConfigError[];
const NO_INCLUDES: Directive[] = Object.freeze([]) as unknown as Directive[];
/** The arguments of `server {`, `http {` and every other directive without any: one array. */
const NO_ARGS: string[] = Object.freeze([]) as unknown as string[];

/**
 * Directive names, one string each: 20,000 vhosts write `server`, `listen` and `location` 20,000 times, and
 * one string for all of them is less for the garbage collector to copy. Bounded: odd names are not kept.
 */
const directiveNames = new Map<string, string>();
const MAX_DIRECTIVE_NAMES = 4096;

function directiveName(word: string): string {
  const known = directiveNames.get(word);
  if (known !== undefined) return known;
  if (directiveNames.size < MAX_DIRECTIVE_NAMES) directiveNames.set(word, word);
  return word;
}

/**
 * A file's `include` directives (one argument, no block), blocks included, in the order nginx meets them:
 * as its parse found them, or walked from its directives for a file this parser did not make.
 */
export function includesOf(file: { parsed: Directive[]; includes?: Directive[] }): Directive[] {
  if (file.includes) return file.includes;
  const walked: Directive[] = [];
  const walk = (directives: readonly Directive[]): void => {
    for (const d of directives) {
      if (isInclude(d)) walked.push(d);
      else if (d.block) walk(d.block);
    }
  };
  walk(file.parsed);
  return walked;
}

const isInclude = (d: Directive): boolean => d.directive === 'include' && d.args.length === 1 && !d.block;

/**
 * The parse of one file. Arrays are built in scratch space and copied out at their exact length, and a block's
 * directive is made once its block is read: 20,000 vhosts hold a million of these, and grown arrays, late
 * fields and a closure per block double the garbage collector's work.
 */
class Parser {
  /** Made at the first error: 20,000 vhosts without one need no array each. */
  errors: ConfigError[] | null = null;
  complete = true;
  private sawEof = false;
  private readonly lexer: Lexer;
  /**
   * The arguments of the directives being read, innermost last, up to `argsTop`; and the directives of the
   * blocks being read, up to `directivesTop`. The arrays never shrink: a shrunk array is trimmed and grown again.
   */
  private readonly args: string[] = [];
  private argsTop = 0;
  private readonly directives: Directive[] = [];
  private directivesTop = 0;
  /** The include directives kept so far, in the order of the text (includesOf); made at the first. */
  includes: Directive[] | null = null;

  constructor(
    text: string,
    private readonly file: string,
  ) {
    this.lexer = new Lexer(text, (line, error) => this.fail(line, error));
  }

  private fail(line: number | null, error: string): void {
    (this.errors ??= []).push({ file: this.file, line, error });
  }

  /** The arguments read since `from`, taken out of the scratch space. */
  private takeArgs(from: number): string[] {
    if (from === this.argsTop) return NO_ARGS;
    const args = this.args.slice(from, this.argsTop);
    this.argsTop = from;
    return args;
  }

  private pushDirective(directive: Directive): void {
    this.directives[this.directivesTop++] = directive;
    if (isInclude(directive)) (this.includes ??= []).push(directive);
  }

  /** The directives read since `from`, taken out of the scratch space. */
  private takeDirectives(from: number): Directive[] {
    const out = this.directives.slice(from, this.directivesTop);
    this.directivesTop = from;
    return out;
  }

  block(depth: number): Directive[] {
    const { lexer, file } = this;
    const from = this.directivesTop;
    // The directive being read: its name (null before the first word), its line, and its arguments in args[argsFrom..].
    let name: string | null = null;
    let nameLine = 0;
    const argsFrom = this.argsTop;
    for (;;) {
      const kind = lexer.next();
      const line = lexer.tokenLine;
      if (kind === 'word') {
        if (name === null) {
          name = directiveName(lexer.value);
          nameLine = line;
        } else {
          this.args[this.argsTop++] = lexer.value;
        }
      } else if (kind === ';') {
        if (name === null) this.fail(line, 'unexpected ";"');
        else this.pushDirective({ directive: name, args: this.takeArgs(argsFrom), line: nameLine, file });
        name = null;
      } else if (kind === '{') {
        if (name === null) {
          this.fail(line, 'unexpected "{"');
          // A block that no directive opens is dropped, and the includes in it with it.
          const kept = this.includes?.length ?? 0;
          this.block(depth + 1);
          if (this.includes) this.includes.length = kept;
          if (this.sawEof) return this.takeDirectives(from);
        } else if (isRawBlock(name)) {
          const raw = lexer.luaBlock();
          if (raw === null) {
            this.pushDirective({ directive: name, args: this.takeArgs(argsFrom), line: nameLine, file });
            this.fail(lexer.line, 'unexpected end of file, expecting "}"');
            this.sawEof = true;
            this.complete = false;
            return this.takeDirectives(from);
          }
          this.args[this.argsTop++] = raw;
          this.pushDirective({ directive: name, args: this.takeArgs(argsFrom), line: nameLine, file });
          name = null;
        } else {
          const directive = name;
          const args = this.takeArgs(argsFrom);
          const at = nameLine;
          name = null;
          const block = this.block(depth + 1);
          this.pushDirective({ directive, args, line: at, file, block });
          if (this.sawEof) return this.takeDirectives(from);
        }
      } else if (kind === '}') {
        // Words before "}" are most often a missing ";": keep the directive so the rest of the tree stays usable.
        if (name !== null || depth === 0) this.fail(line, 'unexpected "}"');
        if (name !== null) this.pushDirective({ directive: name, args: this.takeArgs(argsFrom), line: nameLine, file });
        name = null;
        if (depth > 0) return this.takeDirectives(from);
      } else {
        if (name !== null || depth > 0) this.complete = false;
        if (name !== null) {
          this.fail(line, 'unexpected end of file, expecting ";" or "}"');
          this.pushDirective({ directive: name, args: this.takeArgs(argsFrom), line: nameLine, file });
        } else if (depth > 0) {
          this.fail(line, 'unexpected end of file, expecting "}"');
        }
        this.sawEof = true;
        return this.takeDirectives(from);
      }
    }
  }
}

const HEADER = /^# configuration file (.+):\r?$/;

interface DumpedFile extends ParsedText {
  file: string;
  /** The lines nginx printed after the header, its own closing newline included. */
  lines: string[];
  /** Every `include` pattern in the file, blocks included, in order. */
  patterns: string[];
}

function parseSection(file: string, lines: string[]): DumpedFile {
  // nginx writes each file's bytes followed by one newline of its own; drop it.
  const joined = lines.join('\n');
  const text = joined.endsWith('\n') ? joined.slice(0, -1) : joined;
  const result = parseConfigText(text, file);
  return { ...result, file, lines, patterns: result.includes.map((d) => d.args[0]!) };
}

/** A path with no `.`, `..` or empty segment is its own normal form: 20,000 file names skip posix.normalize(). */
const UNNORMAL = /(^|\/)\.\.?(\/|$)|\/\/|^$/;
const normalPath = (path: string): string => (UNNORMAL.test(path) ? posix.normalize(path) : path);

/** nginx resolves relative includes against the directory of the main file (its conf prefix). */
const confPrefixOf = (mainFile: string): string => mainFile.slice(0, mainFile.lastIndexOf('/') + 1);

/** The paths an include pattern names, resolved the way nginx resolves it: relative to the conf prefix, globs by glob(3). */
function includeMatcher(pattern: string, confPrefix: string): (path: string) => boolean {
  const full = posix.normalize(pattern.startsWith('/') ? pattern : confPrefix + pattern);
  if (!hasGlob(full)) return (path) => normalPath(path) === full;
  const re = globToRegExp(full);
  return (path) => re.test(normalPath(path));
}

/**
 * nginx before 1.11.6 dumped a file once per include: a header naming a file already dumped is such a repeat
 * when exactly the lines of the first copy follow it. Returns how many lines that copy has, else -1.
 */
function repeatLength(path: string, done: ReadonlyMap<string, DumpedFile>, lines: string[], at: number): number {
  const first = done.get(path);
  if (!first?.lines.every((line, k) => lines[at + 1 + k] === line)) return -1;
  return first.lines.length;
}

/**
 * Whether a header-shaped line ends the file `before` and starts a new one, rather than being a comment in it.
 * nginx prints each file it opens as the header, the file's bytes and a newline, in the order it opens them
 * (since 1.11.6 only the first time), and it opens only the main file and what an include names. So a real
 * header follows a complete file and names a new file that an include read so far names.
 */
function startsFile(path: string, before: DumpedFile, done: ReadonlyMap<string, DumpedFile>, included: IncludeIndex): boolean {
  if (!before.complete || before.file === path || done.has(path)) return false;
  return included.names(path) || before.patterns.some((pattern) => included.matcher(pattern)(path));
}

/**
 * The include patterns of the files dumped so far, each compiled once: 20,000 vhosts that each include the
 * same snippet are one pattern, so a header is checked against the distinct patterns, not every file's.
 */
class IncludeIndex {
  private readonly compiled = new Map<string, (path: string) => boolean>();
  private readonly added = new Set<string>();
  private readonly exact = new Set<string>();
  private readonly globs: ((path: string) => boolean)[] = [];

  constructor(private readonly confPrefix: string) {}

  matcher(pattern: string): (path: string) => boolean {
    let found = this.compiled.get(pattern);
    if (!found) {
      found = includeMatcher(pattern, this.confPrefix);
      this.compiled.set(pattern, found);
    }
    return found;
  }

  add(patterns: readonly string[]): void {
    for (const pattern of patterns) {
      if (this.added.has(pattern)) continue;
      this.added.add(pattern);
      const matcher = this.matcher(pattern);
      const full = posix.normalize(pattern.startsWith('/') ? pattern : this.confPrefix + pattern);
      if (hasGlob(full)) this.globs.push(matcher);
      else this.exact.add(full);
    }
  }

  names(path: string): boolean {
    return this.exact.has(normalPath(path)) || this.globs.some((matches) => matches(path));
  }
}

/** Splits `nginx -T` stdout into the files it dumped. Anything before the first header (e.g. merged stderr) is ignored. */
function splitDump(stdout: string): DumpedFile[] {
  const lines = stdout.split('\n');
  const done = new Map<string, DumpedFile>();
  const first = lines.findIndex((line) => HEADER.test(line));
  if (first === -1) return [];
  let current = { file: HEADER.exec(lines[first]!)![1]!, start: first + 1, repeat: false };
  const included = new IncludeIndex(confPrefixOf(current.file));
  const finish = (end: number): DumpedFile => parseSection(current.file, lines.slice(current.start, end));
  const keep = (file: DumpedFile): void => {
    // A file dumped twice under one name (nginx before 1.11.6) is kept once, the first time.
    if (done.has(file.file)) return;
    done.set(file.file, file);
    included.add(file.patterns);
  };
  for (let i = first + 1; i < lines.length; i++) {
    const path = HEADER.exec(lines[i]!)?.[1];
    if (path === undefined) continue;
    const before = finish(i);
    const copy = before.complete ? repeatLength(path, done, lines, i) : -1;
    if (copy === -1 && !startsFile(path, before, done, included)) continue;
    if (!current.repeat) keep(before);
    const skip = Math.max(copy, 0);
    current = { file: path, start: i + 1 + skip, repeat: copy !== -1 };
    i += skip;
  }
  if (!current.repeat) keep(finish(lines.length));
  return [...done.values()];
}

const hasGlob = (pattern: string): boolean => /[*?[]/.test(pattern);

/** glob(3) as nginx calls it: `*` `?` `[...]` stay within one path segment and do not match a leading dot. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  let segmentStart = true;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const guard = segmentStart ? '(?!\\.)' : '';
    segmentStart = ch === '/';
    if (ch === '*') {
      re += `${guard}[^/]*`;
    } else if (ch === '?') {
      re += `${guard}[^/]`;
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      const escaped = body.replace(/[\\\]^]/g, (c) => `\\${c}`);
      re += negate ? `${guard}[^/${escaped}]` : `${guard}[${escaped}]`;
      i = close;
    } else {
      re += ch.replace(/[.+^${}()|\\]/g, (c) => `\\${c}`);
    }
  }
  return new RegExp(`^${re}$`);
}

/** Parses the stdout of `nginx -T`: every dumped file, and the main file's tree with includes resolved. */
export function parseDump(stdout: string): NginxConfig {
  return resolveIncludes(splitDump(stdout));
}

/**
 * The same as parseDump() of nginx -T's framing of these files, for text whose framing is already known
 * (the config reader's, whose sizes say where each file ends): no header has to be told from a comment.
 */
export function parseFiles(sections: readonly { file: string; text: string }[]): NginxConfig {
  return resolveIncludes(sections.map(parseFileText));
}

/** One file of parseFiles(), parsed on its own (a caller that parses a big read in slices). */
export type ParsedFile = ParsedText & { file: string };

export const parseFileText = ({ file, text }: { file: string; text: string }): ParsedFile => ({ file, ...parseConfigText(text, file) });

/** parseFiles() of files parsed one by one with parseFileText(), in the same order. */
export const configOfParsedFiles = (parsed: readonly ParsedFile[]): NginxConfig => resolveIncludes(parsed);

/** The files being included, innermost first: one link per include, not a copy of the whole stack. */
type Stack = { file: string; up: Stack | null };

/** A lazy server's block with its includes placed, made when the block is first read (`file` included from `up`). */
class PlacedBlock implements BlockSource {
  constructor(
    private readonly server: LazyServer,
    private readonly file: string,
    private readonly up: Stack | null,
    private readonly expand: (directives: Directive[], stack: Stack) => Directive[],
  ) {}

  blockOf(): Directive[] {
    return this.expand(this.server.block, { file: this.file, up: this.up });
  }
}

function resolveIncludes(dumped: readonly ParsedFile[]): NginxConfig {
  const errors: ConfigError[] = [];
  const files: ConfigFile[] = dumped.map((dump) => {
    if (dump instanceof LazyFileBase) return dump;
    const { file, parsed, errors: own, includes } = dump;
    if (own.length > 0) errors.push(...own);
    return { file, parsed, includes };
  });
  const main = files[0];
  if (!main) {
    errors.push({ file: '', line: null, error: 'no "# configuration file" section in the nginx -T output' });
    return { files, tree: [], errors };
  }
  const confPrefix = confPrefixOf(main.file);

  // glob() sorts its matches byte-wise, and nginx reads them in that order. Each pattern is resolved once.
  // The files by name, made at the first include of a single file.
  let byName: Map<string, ConfigFile[]> | null = null;
  const named = (full: string): ConfigFile[] => {
    if (!byName) {
      byName = new Map();
      for (const f of files) {
        const name = normalPath(f.file);
        const same = byName.get(name);
        if (same) same.push(f);
        else byName.set(name, [f]);
      }
    }
    return byName.get(full) ?? [];
  };
  const resolved = new Map<string, ConfigFile[]>();
  const matching = (pattern: string): ConfigFile[] => {
    let found = resolved.get(pattern);
    if (!found) {
      const full = posix.normalize(pattern.startsWith('/') ? pattern : confPrefix + pattern);
      const names = includeMatcher(pattern, confPrefix);
      found = hasGlob(full) ? files.filter((f) => names(f.file)) : named(full);
      // The files come in the order read, which for a glob is nearly always the order nginx opens them in.
      if (!found.every((f, i) => i === 0 || found![i - 1]!.file <= f.file)) found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      resolved.set(pattern, found);
    }
    return found;
  };

  // A block with no include in it is the file's own array, shared with config.files (directives are never
  // changed once parsed): on 20,000 vhosts a copy of each would double what the garbage collector sweeps.
  // A lazy server's includes are placed when its block is first read; one with none is the file's own, as below.
  const placeLazy = (server: LazyServer, file: string, up: Stack | null): LazyServer => (server.placesIncludes ? server.withBlock(new PlacedBlock(server, file, up, expand)) : server);
  const within = (stack: Stack | null, file: string): boolean => stack !== null && (stack.file === file || within(stack.up, file));
  const expand = (directives: Directive[], stack: Stack): Directive[] => {
    let out: Directive[] | null = null;
    for (let i = 0; i < directives.length; i++) {
      const d = directives[i]!;
      const pattern = d.args[0];
      if (d.directive === 'include' && d.args.length === 1 && !d.block && pattern !== undefined) {
        out ??= directives.slice(0, i);
        const found = matching(pattern);
        if (found.length === 0 && !hasGlob(pattern)) {
          errors.push({ file: d.file, line: d.line, error: `included file "${pattern}" is not in the nginx -T output` });
        }
        for (const f of found) {
          if (within(stack, f.file)) {
            errors.push({ file: d.file, line: d.line, error: `include cycle: "${f.file}" includes itself` });
          } else if (f instanceof LazyFileBase) {
            // Nothing but lazy servers: each placed as it is, without a stack link or an array of its own.
            for (const server of f.parsed) out.push(placeLazy(server as LazyServer, f.file, stack));
          } else {
            for (const placed of expand(f.parsed, { file: f.file, up: stack })) out.push(placed);
          }
        }
      } else if (d instanceof LazyServer) {
        const copy = placeLazy(d, stack.file, stack.up);
        if (copy !== d) out ??= directives.slice(0, i);
        out?.push(copy);
      } else {
        const block = d.block ? expand(d.block, stack) : undefined;
        if (block !== d.block) out ??= directives.slice(0, i);
        out?.push(block === d.block ? d : { directive: d.directive, args: d.args, line: d.line, file: d.file, block });
      }
    }
    return out ?? directives;
  };

  return { files, tree: expand(main.parsed, { file: main.file, up: null }), errors };
}
