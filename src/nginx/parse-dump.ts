import { posix } from 'node:path';
import type { ConfigError, ConfigFile, Directive, NginxConfig } from './config-types.js';

type Token =
  | { kind: 'word'; value: string; line: number }
  | { kind: ';' | '{' | '}' | 'eof'; line: number };

const SPACE = new Set([' ', '\t', '\r', '\n']);

/** Directives whose `{ ... }` holds Lua code, not nginx directives (lua-nginx-module). */
const isRawBlock = (name: string): boolean => name.endsWith('_by_lua_block') || name === 'lua_block';

/** nginx's own unescaping of a token: \" \' \\ collapse, \t \r \n become control characters, other backslashes stay. */
function unescape(raw: string): string {
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

  next(): Token {
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) return { kind: 'eof', line: this.line };
      if (SPACE.has(ch)) {
        this.take();
      } else if (ch === '#') {
        while (this.peek() !== undefined && this.peek() !== '\n') this.take();
      } else {
        break;
      }
    }
    const line = this.line;
    const ch = this.take();
    if (ch === ';' || ch === '{' || ch === '}') return { kind: ch, line };
    if (ch === '"' || ch === "'") return this.quoted(ch, line);
    return this.word(ch, line);
  }

  private quoted(quote: string, line: number): Token {
    let raw = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        this.fail(this.line, 'unexpected end of file, expecting closing quote');
        return { kind: 'word', value: unescape(raw), line };
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
    return { kind: 'word', value: unescape(raw), line };
  }

  private word(first: string, line: number): Token {
    let raw = first;
    if (first === '\\' && this.peek() !== undefined) raw += this.take();
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || SPACE.has(ch) || ch === ';') break;
      // "{" ends a word, except right after "$" where it opens ${name}.
      if (ch === '{' && !raw.endsWith('$')) break;
      raw += this.take();
      if (ch === '\\' && this.peek() !== undefined) raw += this.take();
    }
    return { kind: 'word', value: unescape(raw), line };
  }

  /** Reads up to the "}" that balances an already consumed "{", returning the text between them. */
  rawBlock(): string | null {
    let depth = 1;
    let out = '';
    while (this.peek() !== undefined) {
      const ch = this.take();
      if (ch === '"' || ch === "'") {
        out += ch;
        while (this.peek() !== undefined && this.peek() !== ch && this.peek() !== '\n') {
          const c = this.take();
          out += c;
          if (c === '\\' && this.peek() !== undefined) out += this.take();
        }
        if (this.peek() !== undefined) out += this.take();
        continue;
      }
      if (ch === '-' && this.peek() === '-') {
        out += ch;
        while (this.peek() !== undefined && this.peek() !== '\n') out += this.take();
        continue;
      }
      if (ch === '{') depth++;
      if (ch === '}' && --depth === 0) return out.trim();
      out += ch;
    }
    return null;
  }
}

/** Lexes and parses one nginx config file into crossplane-shaped directives; syntax errors are returned, not thrown. */
export function parseConfigText(text: string, file: string): { parsed: Directive[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const fail = (line: number | null, error: string): void => {
    errors.push({ file, line, error });
  };
  const lexer = new Lexer(text, fail);
  let sawEof = false;

  const parseBlock = (depth: number): Directive[] => {
    const out: Directive[] = [];
    let words: { value: string; line: number }[] = [];
    const flush = (): Directive | null => {
      const [name, ...args] = words;
      words = [];
      if (!name) return null;
      const d: Directive = { directive: name.value, args: args.map((w) => w.value), line: name.line, file };
      out.push(d);
      return d;
    };
    for (;;) {
      const tok = lexer.next();
      if (tok.kind === 'word') {
        words.push({ value: tok.value, line: tok.line });
      } else if (tok.kind === ';') {
        if (words.length === 0) fail(tok.line, 'unexpected ";"');
        flush();
      } else if (tok.kind === '{') {
        const d = flush();
        if (!d) {
          fail(tok.line, 'unexpected "{"');
          parseBlock(depth + 1);
          if (sawEof) return out;
        } else if (isRawBlock(d.directive)) {
          const raw = lexer.rawBlock();
          if (raw === null) {
            fail(lexer.line, 'unexpected end of file, expecting "}"');
            sawEof = true;
            return out;
          }
          d.args.push(raw);
        } else {
          d.block = parseBlock(depth + 1);
          if (sawEof) return out;
        }
      } else if (tok.kind === '}') {
        // Words before "}" are most often a missing ";": keep the directive so the rest of the tree stays usable.
        if (words.length > 0 || depth === 0) fail(tok.line, 'unexpected "}"');
        flush();
        if (depth > 0) return out;
      } else {
        if (words.length > 0) {
          fail(tok.line, 'unexpected end of file, expecting ";" or "}"');
          flush();
        } else if (depth > 0) {
          fail(tok.line, 'unexpected end of file, expecting "}"');
        }
        sawEof = true;
        return out;
      }
    }
  };

  return { parsed: parseBlock(0), errors };
}

const HEADER = /^# configuration file (.+):\r?$/;

/** Splits `nginx -T` stdout into the files it dumped. Anything before the first header (e.g. merged stderr) is ignored. */
function splitDump(stdout: string): { file: string; text: string }[] {
  const sections: { file: string; lines: string[] }[] = [];
  for (const line of stdout.split('\n')) {
    const header = HEADER.exec(line);
    if (header) sections.push({ file: header[1]!, lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  // nginx writes each file's bytes followed by one newline of its own; drop it.
  return sections.map((s) => {
    const text = s.lines.join('\n');
    return { file: s.file, text: text.endsWith('\n') ? text.slice(0, -1) : text };
  });
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
  const errors: ConfigError[] = [];
  const files: ConfigFile[] = splitDump(stdout).map(({ file, text }) => {
    const result = parseConfigText(text, file);
    errors.push(...result.errors);
    return { file, parsed: result.parsed };
  });
  const main = files[0];
  if (!main) {
    errors.push({ file: '', line: null, error: 'no "# configuration file" section in the nginx -T output' });
    return { files, tree: [], errors };
  }
  // nginx resolves relative includes against the directory of the main file (its conf prefix).
  const confPrefix = main.file.slice(0, main.file.lastIndexOf('/') + 1);

  const matching = (pattern: string): ConfigFile[] => {
    const full = posix.normalize(pattern.startsWith('/') ? pattern : confPrefix + pattern);
    if (!hasGlob(full)) return files.filter((f) => posix.normalize(f.file) === full);
    const re = globToRegExp(full);
    // glob() sorts its matches byte-wise, and nginx reads them in that order.
    return files
      .filter((f) => re.test(posix.normalize(f.file)))
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  };

  const expand = (directives: Directive[], stack: string[]): Directive[] => {
    const out: Directive[] = [];
    for (const d of directives) {
      const pattern = d.args[0];
      if (d.directive === 'include' && d.args.length === 1 && !d.block && pattern !== undefined) {
        const found = matching(pattern);
        if (found.length === 0 && !hasGlob(pattern)) {
          errors.push({ file: d.file, line: d.line, error: `included file "${pattern}" is not in the nginx -T output` });
        }
        for (const f of found) {
          if (stack.includes(f.file)) {
            errors.push({ file: d.file, line: d.line, error: `include cycle: "${f.file}" includes itself` });
          } else {
            out.push(...expand(f.parsed, [...stack, f.file]));
          }
        }
      } else {
        out.push(d.block ? { ...d, args: [...d.args], block: expand(d.block, stack) } : { ...d, args: [...d.args] });
      }
    }
    return out;
  };

  return { files, tree: expand(main.parsed, [main.file]), errors };
}
