import type { Directive, NginxConfig } from './config-types.js';
import { parseDump, parseFiles } from './parse-dump.js';

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
  const out: { file: string; text: string }[] = [];
  let at = 0;
  for (const { file, size } of files) {
    const header = `# configuration file ${file}:\n`;
    if (!stdout.startsWith(header, at)) return `the output does not frame ${file} as nginx -T does`;
    at += header.length;
    if (stdout.charCodeAt(at + size) !== 0x0a) return `${file} is not ${size} bytes long in the output (it changed while read, or is not UTF-8)`;
    out.push({ file, text: stdout.slice(at, at + size) });
    at += size + 1;
  }
  return at === stdout.length ? out : 'the output goes on after the last file';
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
  const byName = new Map(config.files.map((f) => [f.file, f.parsed]));
  const order: string[] = [];
  const seen = new Set<string>();
  let missing: string | null = null;
  const visit = (name: string): void => {
    if (seen.has(name) || missing) return;
    seen.add(name);
    order.push(name);
    const parsed = byName.get(name);
    if (parsed) walk(parsed);
    else missing = `${name} is included but was not read`;
  };
  const walk = (directives: Directive[]): void => {
    for (const d of directives) {
      if (d.directive === 'include' && d.args.length === 1 && !d.block) {
        const pattern = d.args[0]!;
        const full = pattern.startsWith('/') ? pattern : confPrefix + pattern;
        if (!HAS_GLOB.test(full)) visit(full);
        else {
          const matches = globs.get(full);
          if (!matches) missing = `the include at ${d.file}:${d.line} (${pattern}) was not expanded by the reader`;
          for (const m of matches ?? []) visit(m);
        }
      } else if (d.block) walk(d.block);
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

/** The config the reader's output holds, or why it cannot stand for nginx -T's. */
export function configFromRead(stdout: string, manifest: ReadManifest): { config: NginxConfig } | { mismatch: string } {
  const sections = framedFiles(stdout, manifest.files);
  // Sizes that do not hold (a recording's text, with secrets redacted) leave the headers to tell the files
  // apart, as for nginx -T's own text; the files found must still be the files read, in nginx's order.
  const config = typeof sections === 'string' ? parseDump(stdout) : parseFiles(sections);
  const mismatch = readMismatch(config, manifest);
  return mismatch ? { mismatch } : { config };
}
