import type { Directive } from './config-types.js';

/**
 * What a server block says that is asked of every server, not only of the one a request goes to: on 20,000
 * vhosts these are read for all of them, while the rest of each block is read for one (server-digest.ts).
 */
export interface ServerSummary {
  /** Its own listen directives, and its own server_name directives, each in order. */
  listens: Directive[];
  names: Directive[];
  /** Every error_log, *_pass and blockless `server` at any depth in it, in the order a walk meets them. */
  deep: Directive[];
}

const DEEP_NAMES: ReadonlySet<string> = new Set(['error_log', 'proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass', 'server']);

/** A server's own listen and server_name directives. */
export type ServerHead = Pick<ServerSummary, 'listens' | 'names'>;

/** A directive DEEP_NAMES keeps: a blockless `server` (an upstream's) counts, a server block does not. */
export const isDeep = (d: Directive): boolean => DEEP_NAMES.has(d.directive) && (d.directive !== 'server' || !d.block);

/**
 * Summaries kept in columns (server-digest.ts), read by the server's place among them. The questions asked of
 * every server (its listen, its names, where it passes to) are answered without making a directive; the
 * directives themselves are made when asked for.
 */
export interface SummaryReader {
  /** Its listen and server_name directives (the deep ones are asked only through eachDeep). */
  headAt(at: number): ServerHead;
  /** The one argument of its one listen; null when it writes another number of listens or arguments. */
  listenWord(at: number): string | null;
  /** Whether an argument of one of its server_name directives passes `test`. */
  someName(at: number, test: (name: string) => boolean): boolean;
  /** Each of its deep directives' names and first arguments, in order. */
  eachDeep(at: number, visit: (directive: string, first: string | undefined) => void): void;
}

/** Where a lazy server's block comes from: the `at`th server of its file's parse, or a block with includes placed. */
export interface BlockSource {
  blockOf(at: number, line: number): Directive[];
}

/**
 * A server block whose block, and whose listen and server_name directives, are made when first asked for. It is a
 * Directive to every reader; toJSON() writes it as the plain directive it stands for. 20,000 of these are
 * made on every run that has a digest, so each is one object.
 */
export class LazyServer implements Directive {
  readonly directive = 'server';
  #block: Directive[] | undefined;
  #head: ServerHead | undefined;
  readonly #source: BlockSource;
  readonly #at: number;
  readonly #summaries: SummaryReader;
  readonly #summaryAt: number;

  constructor(
    readonly line: number,
    readonly file: string,
    readonly args: string[],
    /** Whether its block has includes to place (the tree then holds a copy, withBlock()). */
    readonly placesIncludes: boolean,
    summaries: SummaryReader,
    summaryAt: number,
    source: BlockSource,
    at: number,
  ) {
    this.#summaries = summaries;
    this.#summaryAt = summaryAt;
    this.#source = source;
    this.#at = at;
  }

  get block(): Directive[] {
    this.#block ??= this.#source.blockOf(this.#at, this.line);
    return this.#block;
  }

  get head(): ServerHead {
    this.#head ??= this.#summaries.headAt(this.#summaryAt);
    return this.#head;
  }

  get listenWord(): string | null {
    return this.#summaries.listenWord(this.#summaryAt);
  }

  someName(test: (name: string) => boolean): boolean {
    return this.#summaries.someName(this.#summaryAt, test);
  }

  eachDeep(visit: (directive: string, first: string | undefined) => void): void {
    this.#summaries.eachDeep(this.#summaryAt, visit);
  }

  /** The same server with its block made by `source` (its includes placed), and the same summary. */
  withBlock(source: BlockSource): LazyServer {
    return new LazyServer(this.line, this.file, this.args, this.placesIncludes, this.#summaries, this.#summaryAt, source, 0);
  }

  toJSON(): Directive {
    return { directive: this.directive, args: this.args, line: this.line, file: this.file, block: this.block };
  }
}

/** A server's own directives named `name`, from its summary when it has one (its block stays unread). */
export function headOf(server: Directive, name: 'listen' | 'server_name'): readonly Directive[] {
  if (server instanceof LazyServer) return name === 'listen' ? server.head.listens : server.head.names;
  return (server.block ?? []).filter((d) => d.directive === name);
}

/**
 * The first argument of every directive in `directives`, blocks included, that isDeep() keeps and `wanted`
 * takes (by name and first argument), in walk order: a lazy server's summary answers for its block.
 */
export function deepArgs(directives: readonly Directive[], wanted: (directive: string, first: string) => boolean): string[] {
  const out: string[] = [];
  const take = (directive: string, first: string | undefined): void => {
    if (first !== undefined && wanted(directive, first)) out.push(first);
  };
  const visit = (level: readonly Directive[]): void => {
    for (const d of level) {
      if (d instanceof LazyServer) {
        d.eachDeep(take);
        continue;
      }
      if (isDeep(d)) take(d.directive, d.args[0]);
      if (d.block) visit(d.block);
    }
  };
  visit(directives);
  return out;
}

/**
 * A file made from a digest: already the shape config.files holds, with no errors of its own, so the config
 * keeps it as it is rather than copying 20,000 of them (parse-dump.ts, resolveIncludes).
 */
export abstract class LazyFileBase {
  abstract readonly file: string;
  abstract readonly parsed: Directive[];
  abstract readonly includes: Directive[];
}
