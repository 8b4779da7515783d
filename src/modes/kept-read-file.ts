/**
 * The files that keep a box's config read between runs (config-read-cache.ts): one per host, in the person's
 * state folder (BADGATEWAY_STATE_DIR, else $XDG_STATE_HOME/badgateway, else ~/.local/state/badgateway),
 * written 0600 through writePrivateFile. A file that cannot be read or parsed is no kept read; one that
 * cannot be written is left unwritten: the cache only ever saves time, it never stops a diagnosis.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KeptReadStore } from '../hosts/kept-read-host.js';
import { type KeptRead, parseKeptRead, readerVersion } from '../system/config-read-cache.js';
import { STATE_DIR_ENV } from '../fixes/apply/journal.js';
import { writePrivateFile } from './private-file.js';

/** A kept read larger than this is not written (nor read): memory stays bounded. */
const MAX_BYTES = 64 * 1024 * 1024;
/** Kept reads beyond this many (the least recently written first) are removed: the folder stays bounded too. */
const MAX_FILES = 32;
const KEPT_NAME = /^config-read-[0-9a-f]{32}\.json$/;

/** Removes the oldest kept reads beyond MAX_FILES; a file that will not go is left. */
function pruneKeptReads(folder: string): void {
  const kept = readdirSync(folder)
    .filter((name) => KEPT_NAME.test(name))
    .map((name) => ({ path: join(folder, name), written: statSync(join(folder, name)).mtimeMs }))
    .sort((a, b) => b.written - a.written);
  for (const old of kept.slice(MAX_FILES)) rmSync(old.path, { force: true });
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
  const reader = readerVersion((text) => sha(text).slice(0, 16));
  return {
    file,
    reader,
    load(): KeptRead | null {
      try {
        if (statSync(file).size > MAX_BYTES) return null;
        return parseKeptRead(readFileSync(file, 'utf8'), reader);
      } catch {
        return null;
      }
    },
    save(kept: KeptRead): void {
      try {
        const text = JSON.stringify(kept);
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
