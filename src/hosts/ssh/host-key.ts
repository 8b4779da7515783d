/** A host key as the SSH wire format carries it: its type, its fingerprint, and how OpenSSH names it. Pure. */
import { createHash, createHmac } from 'node:crypto';

/** The key type string a key blob starts with (e.g. ssh-ed25519), or '' if the blob is malformed. */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return '';
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** SHA256:base64 without padding, as ssh and ssh-keygen -l print it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** ED25519, ECDSA, RSA: the short name OpenSSH puts before "key fingerprint is". */
export function keyTypeName(type: string): string {
  if (type === 'ssh-ed25519') return 'ED25519';
  if (type.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (type === 'ssh-rsa') return 'RSA';
  if (type === 'ssh-dss') return 'DSA';
  if (type.startsWith('sk-ssh-ed25519')) return 'ED25519-SK';
  if (type.startsWith('sk-ecdsa')) return 'ECDSA-SK';
  return type;
}

/** The name a host is filed under in known_hosts: host for port 22, else [host]:port (lowercase). */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** ssh-keygen -H's form of a name: |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
export function hashedName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}
