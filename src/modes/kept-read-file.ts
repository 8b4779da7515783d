/**
 * The files that keep a box's config read between runs (config-read-cache.ts): one per host, in the person's
 * state folder (BADGATEWAY_STATE_DIR, else $XDG_STATE_HOME/badgateway, else ~/.local/state/badgateway),
 * written 0600 through writePrivateFile. A file that cannot be read or parsed is no kept read; one that
 * cannot be written is left unwritten: the cache only ever saves time, it never stops a diagnosis.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KeptReadStore } from '../hosts/kept-read-host.js';
import type { ServerDigest } from '../nginx/server-digest.js';
import { type KeptRead, keptReadOf, readerVersion } from '../system/config-read-cache.js';
import { STATE_DIR_ENV } from '../fixes/apply/journal.js';
import { writePrivateFile } from './private-file.js';

/** A kept read larger than this is not written (nor read): memory stays bounded. */
const MAX_BYTES = 64 * 1024 * 1024;
/** Kept reads beyond this many (the least recently written first) are removed: the folder stays bounded too. */
const MAX_FILES = 32;
const KEPT_NAME = /^config-read-[0-9a-f]{32}\.json$/;

/** Where the digest of a kept read's config is kept (server-digest.ts), beside it. */
const digestFileOf = (keptFile: string): string => keptFile.replace(/\.json$/, '.digest');
/** Where earlier builds kept it, as JSON: removed with the read, or when a digest is written in its place. */
const oldDigestFileOf = (keptFile: string): string => keptFile.replace(/\.json$/, '.digest.json');

/** Removes the oldest kept reads beyond MAX_FILES; a file that will not go is left. */
function pruneKeptReads(folder: string): void {
  const kept = readdirSync(folder)
    .filter((name) => KEPT_NAME.test(name))
    .map((name) => ({ path: join(folder, name), written: statSync(join(folder, name)).mtimeMs }))
    .sort((a, b) => b.written - a.written);
  for (const old of kept.slice(MAX_FILES)) {
    rmSync(old.path, { force: true });
    rmSync(digestFileOf(old.path), { force: true });
    rmSync(oldDigestFileOf(old.path), { force: true });
  }
}

/**
 * A file's text. Kept files are nearly always ASCII (JSON of nginx configs), and ASCII read as latin1 is the
 * same text made without decoding: on a 12 MB kept read that is 2 ms against 18, before the login can start.
 */
function readText(path: string): string {
  const bytes = readFileSync(path);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * A kept read as its file holds it: one line of JSON with all but the read's output and errors (their lengths
 * in their place), then those two texts as they are. The login waits for the key and names only, and the
 * megabytes of a big box's read are cut out of the file rather than unescaped by JSON.parse.
 */
export function keptReadText(kept: KeptRead): string {
  return `${JSON.stringify({ ...kept, v: FILE_VERSION, out: kept.out.length, err: kept.err.length })}\n${kept.out}${kept.err}`;
}

const FILE_VERSION = 2;

/** A length as the file's first line gives it, or -1 when it is none. */
const lengthOf = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : -1);

function keptReadFromText(text: string, reader: string): KeptRead | null {
  const eol = text.indexOf('\n');
  if (eol === -1) return null;
  const head = JSON.parse(text.slice(0, eol)) as Record<string, unknown> | null;
  const [outLength, errLength] = [lengthOf(head?.out), lengthOf(head?.err)];
  const outEnd = eol + 1 + outLength;
  if (head?.v !== FILE_VERSION || outLength < 0 || errLength < 0 || outEnd + errLength !== text.length) return null;
  return keptReadOf({ ...head, v: 1, out: text.slice(eol + 1, outEnd), err: text.slice(outEnd) }, reader);
}

/**
 * A digest as its file holds it: one line of JSON with the read it was made of and all but its numbers, then
 * the numbers' bytes (an Int32Array as this machine lays it out: the file is read by the build that wrote it).
 * Parsing 3 MB of base64 out of JSON cost a kept run on 20,000 vhosts more than reading the file.
 */
function digestBytes(keptId: string, digest: ServerDigest): Buffer {
  const { numbers, ...rest } = digest;
  const head = Buffer.from(`${JSON.stringify({ kept: keptId, ...rest })}\n`);
  return Buffer.concat([head, Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength)]);
}

/** The digest a file holds when it was made of the read `keptId`, else null. */
function digestFromBytes(bytes: Buffer, keptId: string): ServerDigest | null {
  const eol = bytes.indexOf(10);
  if (eol === -1 || (bytes.length - eol - 1) % 4 !== 0) return null;
  const head = JSON.parse(bytes.toString(isAscii(bytes.subarray(0, eol)) ? 'latin1' : 'utf8', 0, eol)) as Partial<ServerDigest> & { kept?: unknown };
  if (typeof head !== 'object' || head === null || head.kept !== keptId) return null;
  // Copied: the bytes after the line need not start where an Int32Array may.
  const numbers = new Int32Array((bytes.length - eol - 1) / 4);
  new Uint8Array(numbers.buffer).set(bytes.subarray(eol + 1));
  const { kept: _, ...digest } = head;
  return { ...digest, numbers } as ServerDigest;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

export function keptReadFolder(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[STATE_DIR_ENV];
  if (override) return override;
  const state = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'badgateway');
}

/** The store for the host a session knows as `identity` (its role and target, as given). */
export function keptReadFile(identity: string, folder: string = keptReadFolder()): KeptReadStore & { file: string } {
  const file = join(folder, `config-read-${sha(identity).slice(0, 32)}.json`);
  const digestFile = digestFileOf(file);
  const oldDigestFile = oldDigestFileOf(file);
  const reader = readerVersion((text) => sha(text).slice(0, 16));
  return {
    file,
    reader,
    load(): KeptRead | null {
      try {
        if (statSync(file).size > MAX_BYTES) return null;
        return keptReadFromText(readText(file), reader);
      } catch {
        return null;
      }
    },
    loadDigest(kept: KeptRead): ServerDigest | null {
      try {
        if (!kept.id || statSync(digestFile).size > MAX_BYTES) return null;
        return digestFromBytes(readFileSync(digestFile), kept.id);
      } catch {
        return null;
      }
    },
    saveDigest(kept: KeptRead, digest: ServerDigest): void {
      try {
        const bytes = digestBytes(kept.id ?? '', digest);
        if (bytes.length > MAX_BYTES) return;
        writePrivateFile(digestFile, bytes, 'the kept server digest');
        rmSync(oldDigestFile, { force: true });
      } catch {
        // Not kept: the next run parses every file.
      }
    },
    save(kept: KeptRead): void {
      try {
        const text = keptReadText(kept);
        if (text.length > MAX_BYTES) return;
        mkdirSync(folder, { recursive: true, mode: 0o700 });
        writePrivateFile(file, text, 'the kept config read');
        pruneKeptReads(folder);
      } catch {
        // Not kept: the next run reads the files again.
      }
    },
  };
}
