/** Reading the known_hosts files a hop uses, and adding an accepted key to the first of them. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { knownHostsLine, parseKnownHosts, type KnownHosts } from './known-hosts.js';

export const GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/** Every entry of the user's files and the system-wide ones that exist (a missing file is no entry). */
export function loadKnownHosts(userFiles: readonly string[], globalFiles: readonly string[]): KnownHosts {
  const all: KnownHosts = { entries: [], notes: [] };
  for (const file of [...userFiles, ...globalFiles]) {
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      all.notes.push(`${file}: cannot read (${(error as Error).message}); its keys were not used`);
      continue;
    }
    const parsed = parseKnownHosts(text, file);
    all.entries.push(...parsed.entries);
    all.notes.push(...parsed.notes);
  }
  return all;
}

/** Appends the key as ssh would (hashed when HashKnownHosts is on), creating ~/.ssh (0700) and the file (0600). */
export function addKnownHost(file: string, name: string, blob: Buffer, hash: boolean): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    if (text && !text.endsWith('\n')) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${knownHostsLine(name, blob, hash ? randomBytes(20) : undefined)}\n`, { mode: 0o600 });
}
