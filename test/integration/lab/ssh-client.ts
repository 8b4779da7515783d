import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKey } from './sshd.js';

/** Where an ssh client's files live: a HOME of its own with ~/.ssh/{id_ed25519,known_hosts} and no config. */
export interface SshClient {
  home: string;
  key: { path: string; publicKey: string };
  knownHosts: string;
  /** The environment badgateway runs with: this HOME, no ssh-agent. */
  env: NodeJS.ProcessEnv;
  /** Adds a known_hosts line for a server's host key, as `ssh` would write it for host:port. */
  trust: (server: { address: string; port: number; hostKeys: Record<string, string | undefined> }) => void;
  knownHostsText: () => string;
  remove: () => void;
}

export function hostPattern(address: string, port: number): string {
  const bracketed = address.includes(':') ? `[${address}]` : address;
  return port === 22 ? bracketed : `[${address}]:${port}`;
}

/** A fresh client home: a new key pair, an empty known_hosts, SSH_AUTH_SOCK unset. */
export function sshClient(): SshClient {
  const home = mkdtempSync(join(tmpdir(), 'bgw-home-'));
  const ssh = join(home, '.ssh');
  mkdirSync(ssh, { mode: 0o700 });
  const key = makeKey(ssh, 'id_ed25519');
  const knownHosts = join(ssh, 'known_hosts');
  writeFileSync(knownHosts, '', { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.SSH_AUTH_SOCK;
  return {
    home,
    key,
    knownHosts,
    env,
    trust(server) {
      const lines = Object.values(server.hostKeys)
        .filter((k): k is string => Boolean(k))
        .map((k) => `${hostPattern(server.address, server.port)} ${k.split(' ').slice(0, 2).join(' ')}\n`);
      writeFileSync(knownHosts, lines.join(''), { flag: 'a' });
    },
    knownHostsText: () => readFileSync(knownHosts, 'utf8'),
    remove: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** The SHA256 fingerprint ssh-keygen shows for a public key line. */
export function fingerprintOf(publicKeyLine: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-fp-'));
  try {
    writeFileSync(join(dir, 'k.pub'), `${publicKeyLine}\n`);
    return execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1] as string;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
