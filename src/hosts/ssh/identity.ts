/** Key files (IdentityFile or the defaults): their public half without a passphrase, their private half on demand. */
import { existsSync, readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

export interface Identity {
  path: string;
  /** The public key in SSH wire format. */
  publicKey: Buffer;
  encrypted: boolean;
  data: Buffer;
}

function parsed(result: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  return Array.isArray(result) ? (result[0] ?? new Error('no key in the file')) : result;
}

/** The public key an openssh-key-v1 file carries unencrypted in its header, even when the private part is encrypted. */
function publicFromOpenSshHeader(text: string): Buffer | null {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text)?.[1];
  if (!body) return null;
  const data = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (data.subarray(0, 15).toString('latin1') !== 'openssh-key-v1\0') return null;
  let pos = 15;
  const next = (): Buffer | null => {
    if (pos + 4 > data.length) return null;
    const length = data.readUInt32BE(pos);
    if (pos + 4 + length > data.length) return null;
    const value = data.subarray(pos + 4, pos + 4 + length);
    pos += 4 + length;
    return value;
  };
  // ciphername, kdfname, kdfoptions, then the number of keys and the first public key.
  if (!next() || !next() || !next() || pos + 4 > data.length) return null;
  pos += 4;
  return next();
}

/** The public key in a .pub file (or any key file ssh2 reads), or null. */
export function publicFromFile(path: string): Buffer | null {
  if (!existsSync(path)) return null;
  try {
    const key = parsed(ssh2.utils.parseKey(readFileSync(path)));
    return key instanceof Error ? null : key.getPublicSSH();
  } catch {
    return null;
  }
}

/** A key file, or null when it is missing or not a private key ssh2 can read (with the reason in `skipped`). */
export function readIdentity(path: string, skipped: string[]): Identity | null {
  if (!existsSync(path)) return null;
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    skipped.push(`${path}: cannot read (${(error as Error).message})`);
    return null;
  }
  const key = parsed(ssh2.utils.parseKey(data));
  if (!(key instanceof Error)) {
    if (!key.isPrivateKey()) {
      skipped.push(`${path}: not a private key`);
      return null;
    }
    return { path, publicKey: key.getPublicSSH(), encrypted: false, data };
  }
  if (!/no passphrase given/i.test(key.message)) {
    skipped.push(`${path}: ${key.message}`);
    return null;
  }
  const publicKey = publicFromOpenSshHeader(data.toString('utf8')) ?? publicFromFile(`${path}.pub`);
  if (!publicKey) {
    skipped.push(`${path}: encrypted, and its public half (${path}.pub) is missing`);
    return null;
  }
  return { path, publicKey, encrypted: true, data };
}

/** The private key, decrypted with `passphrase` when needed; an Error for a wrong passphrase. */
export function privateKey(identity: Identity, passphrase?: string): ParsedKey | Error {
  return parsed(ssh2.utils.parseKey(identity.data, passphrase));
}
