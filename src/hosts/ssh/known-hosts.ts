/** known_hosts files (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT): parsed, matched and written. Pure. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hashedName, keyType } from './host-key.js';
import { matchPatternList } from './host-pattern.js';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number in that file. */
  line: number;
  marker?: 'revoked';
  /** The host field as written: a pattern list, or one hashed name |1|salt|hash. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  /** Lines that were skipped, and why. */
  notes: string[];
}

export function parseKnownHosts(text: string, file: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const notes: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const word = fields.shift();
      if (word === '@cert-authority') {
        notes.push(`${file}:${index + 1}: @cert-authority lines (host certificates) are not supported; the line was ignored`);
        return;
      }
      if (word !== '@revoked') {
        notes.push(`${file}:${index + 1}: unknown marker ${word}; the line was ignored`);
        return;
      }
      marker = 'revoked';
    }
    const [hosts, type, base64] = fields;
    if (!hosts || !type || !base64) {
      notes.push(`${file}:${index + 1}: not a known_hosts line (host, key type and key expected); ignored`);
      return;
    }
    const key = Buffer.from(base64, 'base64');
    if (keyType(key) !== type) {
      notes.push(`${file}:${index + 1}: the ${type} key does not decode; ignored`);
      return;
    }
    entries.push({ file, line: index + 1, hosts, keyType: type, key, ...(marker ? { marker } : {}) });
  });
  return { entries, notes };
}

function hashedMatches(field: string, name: string): boolean {
  const [, version, salt, hash] = field.split('|');
  if (version !== '1' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether an entry is about `name` (host, or [host]:port; see knownHostsName). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|')) return hashedMatches(entry.hosts, name.toLowerCase());
  return matchPatternList(entry.hosts, name) === 1;
}

export type HostKeyCheck =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** A key of the same type is filed for this name, and it is another key. */
  | { status: 'changed'; previous: KnownHostEntry[] }
  /**
   * Nothing of this type is filed for this name; `otherTypes` are the types that are, `others` their entries
   * (when there are any, the host is known, by a key of another type: not a first meeting).
   */
  | { status: 'unknown'; otherTypes: string[]; others: KnownHostEntry[] };

/** What known_hosts says about `blob` offered by `name`: as ssh decides, a revoked key loses even when also listed. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, blob: Buffer): HostKeyCheck {
  const about = entries.filter((e) => entryMatches(e, name));
  const type = keyType(blob);
  const revoked = about.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = about.filter((e) => !e.marker);
  const same = plain.find((e) => e.key.equals(blob));
  if (same) return { status: 'known', entry: same };
  const previous = plain.filter((e) => e.keyType === type);
  if (previous.length) return { status: 'changed', previous };
  return { status: 'unknown', otherTypes: [...new Set(plain.map((e) => e.keyType))], others: plain };
}

/** Key types filed for `name` (not revoked), in file order: ssh prefers these when it negotiates. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => !e.marker && entryMatches(e, name)).map((e) => e.keyType))];
}

/** One known_hosts line for `name`, in ssh's own form; hashed like ssh-keygen -H when a salt is given. */
export function knownHostsLine(name: string, blob: Buffer, salt?: Buffer): string {
  return `${salt ? hashedName(name, salt) : name} ${keyType(blob)} ${blob.toString('base64')}`;
}
