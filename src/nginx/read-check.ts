import type { Directive, NginxConfig } from './config-types.js';
import { configOfParsedFiles, includesOf, type ParsedFile, parseDump, parseFileText, parseFiles } from './parse-dump.js';
import { type FileTexts, lazyFiles, type ServerDigest, textsOf } from './server-digest.js';

/** What the config reader on the box says it read (src/system/config-read.ts): the files and the globs. */
export interface ReadManifest {
  files: readonly { file: string; size: number }[];
  globs: ReadonlyMap<string, readonly string[]>;
}

const HAS_GLOB = /[*?[]/;

/**
 * Each file's text, when the reader's stdout is exactly nginx -T's framing of the files it lists: a header,
 * the file's bytes (as many as stat counted) and a newline each, nothing before, between or after. Else why not.
 */
export function framedFiles(stdout: string, files: ReadManifest['files']): { file: string; text: string }[] | string {
  // Text with no byte above 0x7f has a character per byte: it is cut where it is, without a copy as bytes.
  if (!/[^\x00-\x7f]/.test(stdout)) return framedAscii(stdout, files);
  const bytes = Buffer.from(stdout, 'utf8');
  const out: { file: string; text: string }[] = [];
  let at = 0;
  for (const { file, size } of files) {
    const header = Buffer.from(`# configuration file ${file}:\n`, 'utf8');
    if (!bytes.subarray(at, at + header.length).equals(header)) return `the output does not frame ${file} as nginx -T does`;
    at += header.length;
    if (bytes[at + size] !== 0x0a) return `${file} is not ${size} bytes long in the output (it changed while read, or is not UTF-8)`;
    out.push({ file, text: bytes.subarray(at, at + size).toString('utf8') });
    at += size + 1;
  }
  return at === bytes.length ? out : 'the output goes on after the last file';
}

/** framedFiles() for text that is all ASCII, where a byte count is a character count. */
function framedAscii(stdout: string, files: ReadManifest['files']): { file: string; text: string }[] | string {
  const texts = asciiTexts(stdout, files);
  return typeof texts === 'string' ? texts : files.map(({ file }, index) => ({ file, text: texts.textOf(index) }));
}

const HEADER_START = '# configuration file ';

/** Where each file's text is in ASCII text framed as framedFiles() wants it, checked as it does; else why not. */
function asciiTexts(stdout: string, files: ReadManifest['files']): FileTexts | string {
  const starts = new Float64Array(files.length);
  let at = 0;
  for (const [index, { file, size }] of files.entries()) {
    const name = at + HEADER_START.length;
    if (!stdout.startsWith(HEADER_START, at) || !stdout.startsWith(file, name) || !stdout.startsWith(':\n', name + file.length)) {
      return `the output does not frame ${file} as nginx -T does`;
    }
    at = name + file.length + 2;
    if (stdout.charCodeAt(at + size) !== 0x0a) return `${file} is not ${size} bytes long in the output (it changed while read, or is not UTF-8)`;
    starts[index] = at;
    at += size + 1;
  }
  if (at !== stdout.length) return 'the output goes on after the last file';
  return { length: files.length, fileOf: (index) => files[index]!.file, textOf: (index) => stdout.slice(starts[index], starts[index]! + files[index]!.size) };
}

/**
 * framedFiles() with each file cut only when asked: a kept read's 20,000 vhosts made from a digest are never
 * cut. Text that is not all ASCII is cut at once (its sizes count bytes).
 */
function frameTexts(stdout: string, files: ReadManifest['files']): FileTexts | string {
  if (!/[^\x00-\x7f]/.test(stdout)) return asciiTexts(stdout, files);
  const sections = framedFiles(stdout, files);
  return typeof sections === 'string' ? sections : textsOf(sections);
}

/**
 * The files nginx opens, in the order it opens them, from the parsed files and the reader's globs: the main
 * file, then depth first each `include` (relative to the main file's folder, a glob's matches in the order
 * the box sorted them), each file once. Null with a reason when an include has no answer in the manifest.
 */
function openOrder(config: NginxConfig, globs: ReadManifest['globs']): { order: string[] } | { missing: string } {
  const main = config.files[0];
  if (!main) return { missing: 'no main file' };
  const confPrefix = main.file.slice(0, main.file.lastIndexOf('/') + 1);
  const byName = new Map(config.files.map((f) => [f.file, f]));
  const order: string[] = [];
  const seen = new Set<string>();
  let missing: string | null = null;
  const visit = (name: string): void => {
    if (seen.has(name) || missing) return;
    seen.add(name);
    order.push(name);
    const file = byName.get(name);
    if (file) openIncludes(includesOf(file));
    else missing = `${name} is included but was not read`;
  };
  // What each include pattern opens, worked out once: 20,000 vhosts that include one snippet are one pattern.
  const opens = new Map<string, readonly string[] | null>();
  const opened = (pattern: string): readonly string[] | null => {
    let found = opens.get(pattern);
    if (found === undefined) {
      const full = pattern.startsWith('/') ? pattern : confPrefix + pattern;
      found = HAS_GLOB.test(full) ? (globs.get(full) ?? null) : [full];
      opens.set(pattern, found);
    }
    return found;
  };
  const openIncludes = (includes: readonly Directive[]): void => {
    for (const d of includes) {
      const pattern = d.args[0]!;
      const matches = opened(pattern);
      if (!matches) missing = `the include at ${d.file}:${d.line} (${pattern}) was not expanded by the reader`;
      for (const m of matches ?? []) visit(m);
      if (missing) return;
    }
  };
  visit(main.file);
  return missing ? { missing } : { order };
}

/**
 * Null when a config parsed from the reader's files is what parseDump() of nginx -T gives for the same files:
 * the parser found no include it could not place, and following the includes the parser sees (with the
 * globs the box expanded) opens exactly the files read, in the same order. Else why not: then ask nginx -T.
 */
export function readMismatch(config: NginxConfig, manifest: ReadManifest): string | null {
  const names = manifest.files.map((f) => f.file);
  if (config.files.length !== names.length || config.files.some((f, i) => f.file !== names[i])) return 'the parser split the output into other files than were read';
  const includeError = config.errors.find((e) => /include/.test(e.error));
  if (includeError) return `${includeError.file}:${includeError.line ?? ''}: ${includeError.error}`;
  const walked = openOrder(config, manifest.globs);
  if ('missing' in walked) return walked.missing;
  if (walked.order.length !== names.length || walked.order.some((name, i) => name !== names[i])) {
    const at = walked.order.findIndex((name, i) => name !== names[i]);
    return `nginx would open ${walked.order[at] ?? 'nothing more'} where the reader read ${names[at] ?? 'nothing more'}`;
  }
  return null;
}

export type ReadConfig = { config: NginxConfig } | { mismatch: string };

/** Reads judged ahead of the check that asks (judgeReadAhead): the newest few. */
const prepared: { stdout: string; manifest: ReadManifest; found: ReadConfig }[] = [];
const PREPARED_KEPT = 4;

const sameManifest = (a: ReadManifest, b: ReadManifest): boolean =>
  a === b ||
  (a.files.length === b.files.length &&
    a.files.every((f, i) => f.file === b.files[i]!.file && f.size === b.files[i]!.size) &&
    a.globs.size === b.globs.size &&
    [...a.globs].every(([pattern, matches]) => {
      const other = b.globs.get(pattern);
      return other !== undefined && other.length === matches.length && other.every((m, i) => m === matches[i]);
    }));

/** Thrown to stop a judgement ahead that is no longer wanted. */
class NotWanted extends Error {}

/** How much text is parsed between two turns of the event loop when a read is judged ahead (a few ms of work). */
const SLICE_CHARS = 256 * 1024;

/**
 * configFromRead() ahead of time (a kept read, while the box checks that it still stands). It parses in
 * slices, giving the event loop a turn between them (a command's input still being written, the box's answer
 * coming in), and stops with null when `wanted` says the read is no longer needed. Null too for text not
 * framed by its sizes (a recording's): the check judges that itself. With a digest of this read (of this
 * build), its vhost files are not parsed, and `digested` says so.
 */
export async function judgeReadAhead(
  stdout: string,
  manifest: ReadManifest,
  wanted: () => boolean,
  digest?: { digest: ServerDigest; build: string },
): Promise<{ found: ReadConfig; digested: boolean } | null> {
  const texts = frameTexts(stdout, manifest.files);
  if (typeof texts === 'string') return null;
  const turn = async (): Promise<void> => {
    await new Promise((next) => setImmediate(next));
    if (!wanted()) throw new NotWanted();
  };
  try {
    await turn();
    // With a digest of this read, its vhost files are not parsed (server-digest.ts).
    const lazy = digest ? await lazyFiles(digest.digest, digest.build, texts, turn) : null;
    const parsed: ParsedFile[] = [];
    let sinceTurn = 0;
    for (let index = 0; index < texts.length; index++) {
      const ready = lazy?.get(index);
      if (ready) {
        parsed.push(ready);
        continue;
      }
      const text = texts.textOf(index);
      parsed.push(parseFileText({ file: texts.fileOf(index), text }));
      sinceTurn += text.length;
      if (sinceTurn < SLICE_CHARS) continue;
      sinceTurn = 0;
      await turn();
    }
    const config = configOfParsedFiles(parsed);
    // A digest is made only of a read judged to stand for nginx -T (kept-read-host.ts): this same text and
    // manifest, parsed by this same build, opened the same files then.
    if (lazy) return { found: { config }, digested: true };
    const mismatch = readMismatch(config, manifest);
    return { found: mismatch ? { mismatch } : { config }, digested: false };
  } catch (error) {
    if (error instanceof NotWanted) return null;
    throw error;
  }
}

/** A judgement of judgeReadAhead(), for configFromRead() of the same output and manifest to take. */
export function keepJudgedRead(stdout: string, manifest: ReadManifest, found: ReadConfig): void {
  prepared.unshift({ stdout, manifest, found });
  prepared.length = Math.min(prepared.length, PREPARED_KEPT);
}

/** The config the reader's output holds, or why it cannot stand for nginx -T's. */
export function configFromRead(stdout: string, manifest: ReadManifest): ReadConfig {
  const ready = prepared.find((p) => p.stdout === stdout && sameManifest(p.manifest, manifest));
  const found = ready ? ready.found : judgeRead(stdout, manifest);
  const again = recentlyJudged.findIndex((j) => j.stdout === stdout);
  if (again !== -1) recentlyJudged.splice(again, 1);
  recentlyJudged.unshift({ stdout, found });
  recentlyJudged.length = Math.min(recentlyJudged.length, PREPARED_KEPT);
  return found;
}

/** The newest judgements configFromRead() gave (one a host), for what is kept of them after a run (server-digest.ts). */
const recentlyJudged: { stdout: string; found: ReadConfig }[] = [];

/** The config configFromRead() found in this output lately, if it found one. */
export function judgedConfig(stdout: string): NginxConfig | null {
  const judged = recentlyJudged.find((j) => j.stdout === stdout)?.found;
  return judged && 'config' in judged ? judged.config : null;
}

function judgeRead(stdout: string, manifest: ReadManifest): ReadConfig {
  const sections = framedFiles(stdout, manifest.files);
  // Sizes that do not hold (a recording's text, with secrets redacted) leave the headers to tell the files
  // apart, as for nginx -T's own text; the files found must still be the files read, in nginx's order.
  const config = typeof sections === 'string' ? parseDump(stdout) : parseFiles(sections);
  const mismatch = readMismatch(config, manifest);
  return mismatch ? { mismatch } : { config };
}
