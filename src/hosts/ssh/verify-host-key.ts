/** Deciding whether to trust the key a hop's server offers, and saying why not when we refuse. */
import { commandLine } from '../../shell/quote.js';
import type { ResolvedHost } from './config.js';
import { SshError } from './errors.js';
import { fingerprint, keyType, keyTypeName, knownHostsName } from './host-key.js';
import { addKnownHost } from './known-hosts-files.js';
import { checkHostKey, type KnownHosts } from './known-hosts.js';

/** What the wizard shows when a host's key is not known yet. */
export interface HostKeyPrompt {
  /** The hop: user@host[:port]. */
  host: string;
  /** The name the key is filed under: host, [host]:port, or the HostKeyAlias. */
  knownHostsName: string;
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa... */
  keyType: string;
  /** ED25519, ECDSA, RSA: as ssh prints it. */
  keyTypeName: string;
  /** SHA256:... as ssh prints it. */
  fingerprint: string;
  /** Where an accepted key is saved; null when UserKnownHostsFile is none (trusted for this session only). */
  saveTo: string | null;
  /** Key types already known for this name (ssh warns when a host offers a new type). */
  otherKeyTypes: string[];
  /**
   * The keys of those other types, as known_hosts files them. When there are any, the host is not new: it
   * was known by another key, and only a person who has compared fingerprints may trust this one.
   */
  otherKeys: KnownKey[];
  /** The jump host this hop is reached through, when there is one. */
  via?: string;
}

/** A key known_hosts already has for the host. */
export interface KnownKey {
  keyType: string;
  keyTypeName: string;
  fingerprint: string;
  file: string;
  line: number;
}

/** Returns true to trust the key (and save it), false to refuse. */
export type UnknownHostKeyHandler = (prompt: HostKeyPrompt) => Promise<boolean>;

/**
 * --accept-new-host-key, with no person to ask: trusts a host seen for the first time, and never one known
 * by a key of another type (to trust that is to trust a changed key unseen).
 */
export const acceptFirstSeenKey: UnknownHostKeyHandler = async (prompt) => prompt.otherKeys.length === 0;

/** `ED25519 SHA256:... (file line N)`. */
export function describeKnownKey(key: KnownKey): string {
  return `${key.keyTypeName} ${key.fingerprint} (${key.file} line ${key.line})`;
}

/** Where the server keeps its public key of this type, to compare fingerprints there. */
function serverKeyFile(type: string): string {
  return `/etc/ssh/ssh_host_${type === 'ssh-rsa' ? 'rsa' : type.startsWith('ecdsa') ? 'ecdsa' : 'ed25519'}_key.pub`;
}

export interface VerifiedHostKey {
  host: string;
  knownHostsName: string;
  keyType: string;
  fingerprint: string;
  /** 'known': found in known_hosts; 'added': accepted now and saved; 'accepted': accepted now, not saved. */
  status: 'known' | 'added' | 'accepted';
  /** Why an accepted key was not saved. */
  note?: string;
}

export function lookupName(hop: ResolvedHost): string {
  return hop.hostKeyAlias ?? knownHostsName(hop.hostName, hop.port);
}

function fileHint(file: string, name: string): string {
  return commandLine(['ssh-keygen', '-f', file, '-R', name], 'person');
}

/** Known: returns. Changed or revoked: throws. Unknown: asks `onUnknown` (none given: throws). */
export async function verifyHostKey(hop: ResolvedHost, blob: Buffer, known: KnownHosts, onUnknown: UnknownHostKeyHandler | undefined, via: string | undefined): Promise<VerifiedHostKey> {
  const name = lookupName(hop);
  const type = keyType(blob);
  const print = fingerprint(blob);
  const offered = `${keyTypeName(type)} ${print}`;
  const base = { host: hop.label, knownHostsName: name, keyType: type, fingerprint: print };
  const check = checkHostKey(known.entries, name, blob);
  if (check.status === 'known') return { ...base, status: 'known' };
  if (check.status === 'revoked') {
    throw new SshError(
      'host-key-revoked',
      hop.label,
      `refusing to connect to ${hop.label}: the key it offers (${offered}) is marked @revoked in ${check.entry.file} line ${check.entry.line}. That key must not be trusted any more: ask the server's admin to install a new host key.`,
    );
  }
  if (check.status === 'changed') {
    const old = check.previous.map((e) => `${keyTypeName(e.keyType)} ${fingerprint(e.key)} (${e.file} line ${e.line})`).join(', ');
    const first = check.previous[0];
    throw new SshError(
      'host-key-changed',
      hop.label,
      `refusing to connect to ${hop.label}: its host key has CHANGED. known_hosts has ${old} for ${name}; the server now offers ${offered}. ` +
        `Either the server was reinstalled or re-keyed, or someone is intercepting the connection. Ask the server's admin which key is right; ` +
        `if the new one is, remove the old entry with: ${fileHint(first?.file ?? '~/.ssh/known_hosts', name)} and connect again.`,
    );
  }
  const saveTo = hop.knownHostsFiles[0] ?? null;
  const otherKeys = check.others.map((e): KnownKey => ({ keyType: e.keyType, keyTypeName: keyTypeName(e.keyType), fingerprint: fingerprint(e.key), file: e.file, line: e.line }));
  const prompt: HostKeyPrompt = { ...base, keyTypeName: keyTypeName(type), saveTo, otherKeyTypes: check.otherTypes, otherKeys, ...(via ? { via } : {}) };
  const accepted = onUnknown ? await onUnknown(prompt) : false;
  if (!accepted && otherKeys.length) {
    const first = otherKeys[0] as KnownKey;
    throw new SshError(
      'host-key-changed',
      hop.label,
      `refusing to trust ${hop.label}: known_hosts has ${otherKeys.map(describeKnownKey).join(', ')} for ${name}, but the server now offers only ${offered}, a key of another type. ` +
        `--accept-new-host-key is for hosts seen for the first time; a known host offering a key of another type is treated as a changed key: the server may have been re-keyed, or someone may be intercepting the connection. ` +
        `Check on the server that ssh-keygen -lf ${serverKeyFile(type)} prints ${print} (and ask its admin why its ${first.keyTypeName} key is no longer offered); if it does, trust it by answering yes in the wizard, which asks, ` +
        `or remove the old entry with ${fileHint(first.file, name)} and connect again.`,
    );
  }
  if (!accepted) {
    throw new SshError(
      'host-key-unknown',
      hop.label,
      `the host key of ${hop.label} is not known yet: ${offered} is not in ${hop.knownHostsFiles.join(' or ') || 'any known_hosts file'}. ` +
        `Compare it with the key on the server (ssh-keygen -lf ${serverKeyFile(type)} run there), then accept it: answer yes in the wizard, or add --accept-new-host-key with --json.`,
    );
  }
  if (!saveTo) return { ...base, status: 'accepted' };
  try {
    addKnownHost(saveTo, name, blob, hop.hashKnownHosts);
  } catch (error) {
    // As ssh does: the key is trusted for this session even when it cannot be written down.
    return { ...base, status: 'accepted', note: `could not add it to ${saveTo}: ${(error as Error).message}` };
  }
  return { ...base, status: 'added' };
}
