import type { ConfigFile, Directive, NginxConfig } from './config-types.js';
import { type BlockSource, isDeep, LazyFileBase, LazyServer, type ServerHead, type ServerSummary, type SummaryReader } from './lazy-server.js';
import { type ParsedFile, parseFileText } from './parse-dump.js';

declare const BADGATEWAY_BUILD: string | undefined;

/** This build, as scripts/build.mjs names it (a hash of the sources); 'source' when run from the sources. */
export const DIGEST_BUILD = typeof BADGATEWAY_BUILD === 'string' ? BADGATEWAY_BUILD : 'source';

/**
 * A config's server blocks summed up, kept beside a kept read (issue 17): on 20,000 vhosts, parsing every
 * site file again costs more than the rest of a run. A file that holds only server blocks (a vhost) is then
 * not parsed: its servers are LazyServers made from the digest, whose block is parsed when first read (the
 * route reads one or two), and whose summary answers what is asked of every server (server choice, the
 * addresses and logs in use). The digest is made from the full parse of the same text by the same build,
 * so it says what that parse said; a digest of another build or another read is not used.
 *
 * Stored columnar, not an object per server: a string table, and numbers (an Int32Array, kept as its bytes by
 * kept-read-file.ts) that index it. Per vhost file: its index among the files read, its includes (arguments,
 * line), and its servers: line, arguments, whether its block places includes, then its listens, names and deep
 * directives (lazy-server.ts), each as name, file, line and arguments.
 */
export interface ServerDigest {
  v: 2;
  /** The build that made it (its parser): another build's digest is not used. */
  build: string;
  strings: string[];
  numbers: Int32Array;
}

const sumDirective = (d: Directive, out: ServerSummary, top: boolean): void => {
  if (top && d.directive === 'listen') out.listens.push(d);
  if (top && d.directive === 'server_name') out.names.push(d);
  if (isDeep(d)) out.deep.push(d);
  if (d.block) for (const inner of d.block) sumDirective(inner, out, false);
};

/** The summary of a server block as the tree holds it (includes placed). */
export function summaryOf(server: Directive): ServerSummary {
  const out: ServerSummary = { listens: [], names: [], deep: [] };
  for (const d of server.block ?? []) sumDirective(d, out, true);
  return out;
}

/**
 * The server blocks of the tree by the file they are written in, in the order the tree holds them: the first
 * time a file is included, its servers come first and in its order (as resolveIncludes() placed them).
 */
function treeServers(tree: readonly Directive[]): Map<string, Directive[]> {
  const found = new Map<string, Directive[]>();
  const visit = (level: readonly Directive[]): void => {
    for (const d of level) {
      if (d.directive === 'server' && d.block) {
        const same = found.get(d.file);
        if (same) same.push(d);
        else found.set(d.file, [d]);
      } else if (d.block) {
        visit(d.block);
      }
    }
  };
  visit(tree);
  return found;
}

/** A file a digest can stand for: not the main file, and nothing in it but server blocks. */
const isVhostFile = (file: ConfigFile, index: number): boolean =>
  index > 0 && file.parsed.length > 0 && file.parsed.every((d) => d.directive === 'server' && d.block !== undefined && !(d instanceof LazyServer));

/** The digest of a config parsed in full with no error, or null (nothing to sum up, or a parse it cannot stand for). */
export function makeDigest(config: NginxConfig, build: string): ServerDigest | null {
  if (config.errors.length > 0) return null;
  const vhosts = config.files.map((file, index) => ({ file, index })).filter(({ file, index }) => isVhostFile(file, index));
  const inTree = treeServers(config.tree);
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const id = (text: string): number => {
    let found = ids.get(text);
    if (found === undefined) {
      found = strings.length;
      strings.push(text);
      ids.set(text, found);
    }
    return found;
  };
  const kept = vhosts.filter(({ file }) => {
    const placed = inTree.get(file.file);
    return placed !== undefined && placed.length >= file.parsed.length && file.parsed.every((server, k) => placed[k]!.line === server.line);
  });
  if (kept.length === 0) return null;
  const numbers: number[] = [kept.length];
  const words = (args: readonly string[]): void => {
    numbers.push(args.length);
    for (const arg of args) numbers.push(id(arg));
  };
  const directives = (list: readonly Directive[]): void => {
    numbers.push(list.length);
    for (const d of list) {
      numbers.push(id(d.directive), id(d.file), d.line);
      words(d.args);
    }
  };
  for (const { file, index } of kept) {
    const placed = inTree.get(file.file)!;
    numbers.push(index, id(file.file));
    const includes = file.includes ?? [];
    numbers.push(includes.length);
    for (const d of includes) {
      words(d.args);
      numbers.push(d.line);
    }
    numbers.push(file.parsed.length);
    for (const [k, server] of file.parsed.entries()) {
      numbers.push(server.line);
      words(server.args);
      numbers.push(placed[k] === server ? 0 : 1);
      const { listens, names, deep } = summaryOf(placed[k]!);
      directives(listens);
      directives(names);
      directives(deep);
    }
  }
  return { v: 2, build, strings, numbers: Int32Array.from(numbers) };
}

/** The files read, by their index: each name, and each text cut when asked (read-check.ts, frameTexts). */
export interface FileTexts {
  readonly length: number;
  fileOf(index: number): string;
  textOf(index: number): string;
}

/** FileTexts of files already cut. */
export const textsOf = (sections: readonly { file: string; text: string }[]): FileTexts => ({
  length: sections.length,
  fileOf: (index) => sections[index]!.file,
  textOf: (index) => sections[index]!.text,
});

/** Why a digest is not well formed; thrown inside lazyFiles() only. */
class BadDigest extends Error {}

/**
 * The vhost files of a digest as parsed files, by their index among the files read (`texts`): their servers
 * lazy, their includes made when asked, with `turn` awaited every few hundred files. Null when the digest is
 * not of this build or does not fit these files (another read): the caller parses them all.
 */
export async function lazyFiles(digest: ServerDigest, build: string, texts: FileTexts, turn: () => Promise<void> = async () => {}): Promise<Map<number, ParsedFile> | null> {
  if (digest?.v !== 2 || digest.build !== build || !Array.isArray(digest.strings) || !(digest.numbers instanceof Int32Array)) return null;
  try {
    return await readDigest(digest, texts, turn);
  } catch (error) {
    if (error instanceof BadDigest || error instanceof RangeError) return null;
    throw error;
  }
}

/** How many vhost files are made between two turns of the event loop (a command's input still being written). */
const FILES_PER_TURN = 256;

async function readDigest(digest: ServerDigest, texts: FileTexts, turn: () => Promise<void>): Promise<Map<number, ParsedFile>> {
  const columns = new Columns(digest.numbers, digest.strings);
  const files = new Map<number, ParsedFile>();
  const count = columns.next();
  for (let f = 0; f < count; f++) {
    if (f % FILES_PER_TURN === FILES_PER_TURN - 1) await turn();
    const index = columns.next();
    const name = columns.text();
    if (!(index >= 0 && index < texts.length) || texts.fileOf(index) !== name || files.has(index)) throw new BadDigest();
    const includesAt = columns.skipIncludes();
    const servers: Directive[] = [];
    const file = new LazyFile(name, servers, columns, includesAt, texts, index);
    for (let n = columns.next(), k = 0; k < n; k++) {
      const line = columns.next();
      const args = columns.words();
      const placesIncludes = columns.next() === 1;
      servers.push(new LazyServer(line, name, args, placesIncludes, columns, columns.skipSummary(), file, k));
    }
    files.set(index, file);
  }
  if (!columns.ended()) throw new BadDigest();
  return files;
}

/**
 * The digest's numbers and strings, read front to back once (next(), words(), skipSummary()), and each
 * server's summary read again from its place when asked (SummaryReader). Every string index is checked on
 * the first read, so a later read cannot fail.
 */
class Columns implements SummaryReader {
  private at = 0;
  /** One array for every directive with the same single argument: 20,000 vhosts that write the same listen or include share it. */
  private readonly single: (string[] | undefined)[] = [];

  constructor(
    private readonly numbers: Int32Array,
    private readonly strings: readonly string[],
  ) {}

  next(): number {
    if (this.at >= this.numbers.length) throw new BadDigest();
    return this.numbers[this.at++]!;
  }

  ended(): boolean {
    return this.at === this.numbers.length;
  }

  text(): string {
    return this.checked(this.next());
  }

  private checked(id: number): string {
    const found = this.strings[id];
    if (typeof found !== 'string') throw new BadDigest();
    return found;
  }

  /** The arguments at the read position (a count, then string indexes). */
  words(): string[] {
    const [args, end] = this.wordsAt(this.at);
    this.at = end;
    return args;
  }

  /** Passes over a file's includes (arguments and line each), checking them; returns where they start. */
  skipIncludes(): number {
    const start = this.at;
    for (let n = this.next(); n > 0; n--) {
      this.words();
      this.next();
    }
    return start;
  }

  /** The include directives of `file` at `at` (skipIncludes). */
  includesAt(at: number, file: string): Directive[] {
    const count = this.numbers[at++]!;
    const out = new Array<Directive>(count);
    for (let i = 0; i < count; i++) {
      const [args, end] = this.wordsAt(at);
      out[i] = { directive: 'include', args, line: this.numbers[end]!, file };
      at = end + 1;
    }
    return out;
  }

  /** Passes over a summary (three lists of directives), checking it; returns where it starts. */
  skipSummary(): number {
    const start = this.at;
    for (let list = 0; list < 3; list++) {
      for (let n = this.next(); n > 0; n--) {
        this.text();
        this.text();
        this.next();
        for (let count = this.next(); count > 0; count--) this.text();
      }
    }
    return start;
  }

  private wordsAt(at: number): [string[], number] {
    if (at >= this.numbers.length) throw new BadDigest();
    const count = this.numbers[at]!;
    if (count === 0) return [NO_WORDS, at + 1];
    if (count === 1) {
      const id = this.numbers[at + 1]!;
      let found = this.single[id];
      if (!found) {
        found = [this.checked(id)];
        this.single[id] = found;
      }
      return [found, at + 2];
    }
    const args = new Array<string>(count);
    for (let i = 0; i < count; i++) args[i] = this.checked(this.numbers[at + 1 + i]!);
    return [args, at + 1 + count];
  }

  /** The directives of the list at `at`, and where the list ends. */
  private directivesAt(at: number): [Directive[], number] {
    const count = this.numbers[at++]!;
    const out = new Array<Directive>(count);
    for (let i = 0; i < count; i++) {
      const directive = this.checked(this.numbers[at]!);
      const file = this.checked(this.numbers[at + 1]!);
      const line = this.numbers[at + 2]!;
      const [args, end] = this.wordsAt(at + 3);
      out[i] = { directive, args, line, file };
      at = end;
    }
    return [out, at];
  }

  /** Where the list after the one at `at` starts. */
  private after(at: number): number {
    for (let n = this.numbers[at++]!; n > 0; n--) at += 4 + this.numbers[at + 3]!;
    return at;
  }

  headAt(at: number): ServerHead {
    const [listens, namesAt] = this.directivesAt(at);
    const [names] = this.directivesAt(namesAt);
    return { listens, names };
  }

  listenWord(at: number): string | null {
    // One listen (name, file, line), with one argument.
    if (this.numbers[at] !== 1 || this.numbers[at + 4] !== 1) return null;
    return this.strings[this.numbers[at + 5]!]!;
  }

  someName(at: number, test: (name: string) => boolean): boolean {
    let place = this.after(at);
    for (let n = this.numbers[place++]!; n > 0; n--) {
      const count = this.numbers[place + 3]!;
      for (let i = 0; i < count; i++) if (test(this.strings[this.numbers[place + 4 + i]!]!)) return true;
      place += 4 + count;
    }
    return false;
  }

  eachDeep(at: number, visit: (directive: string, first: string | undefined) => void): void {
    let place = this.after(this.after(at));
    for (let n = this.numbers[place++]!; n > 0; n--) {
      const count = this.numbers[place + 3]!;
      visit(this.strings[this.numbers[place]!]!, count > 0 ? this.strings[this.numbers[place + 4]!] : undefined);
      place += 4 + count;
    }
  }
}

const NO_WORDS: string[] = Object.freeze([]) as unknown as string[];
const NO_ERRORS: ParsedFile['errors'] = Object.freeze([]) as unknown as ParsedFile['errors'];

/** A vhost file whose servers are lazy: its text is cut and parsed the first time one of them is read. */
class LazyFile extends LazyFileBase implements BlockSource {
  #parse: ParsedFile | null = null;
  #includes: Directive[] | null = null;
  readonly #columns: Columns;
  readonly #includesAt: number;
  readonly #texts: FileTexts;
  readonly #index: number;

  constructor(
    readonly file: string,
    readonly parsed: Directive[],
    columns: Columns,
    includesAt: number,
    texts: FileTexts,
    index: number,
  ) {
    super();
    this.#columns = columns;
    this.#includesAt = includesAt;
    this.#texts = texts;
    this.#index = index;
  }

  /** Its include directives, made when asked (a kept run with a digest does not check the open order). */
  get includes(): Directive[] {
    this.#includes ??= this.#columns.includesAt(this.#includesAt, this.file);
    return this.#includes;
  }

  toJSON(): ConfigFile {
    return { file: this.file, parsed: this.parsed, includes: this.includes };
  }

  get errors(): ParsedFile['errors'] {
    return NO_ERRORS;
  }

  get complete(): boolean {
    return true;
  }

  /** The block of the `ordinal`th server of the file; it must be a server block on that line, or the digest lied. */
  blockOf(ordinal: number, line: number): Directive[] {
    this.#parse ??= parseFileText({ file: this.file, text: this.#texts.textOf(this.#index) });
    const server = this.#parse.parsed[ordinal];
    if (this.#parse.errors.length > 0 || server?.directive !== 'server' || server.line !== line || !server.block) {
      throw new Error(`the kept server digest does not match ${this.file} (server ${ordinal + 1}, line ${line}): remove the kept read and run again`);
    }
    return server.block;
  }
}
