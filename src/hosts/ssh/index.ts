/**
 * `badgateway --ssh [user@]host[:port]`: connectSsh() reads ~/.ssh/config, connects (through ProxyJump
 * hosts), verifies every host key, logs in with keys, checks root/sudo, and returns a Host.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { CommandSpec } from '../host.js';
import type { PassphraseAsker } from './agents.js';
import { resolveHost, type LocalContext, type ResolvedHost } from './config.js';
import { connectChain } from './connect.js';
import { GLOBAL_KNOWN_HOSTS, loadKnownHosts } from './known-hosts-files.js';
import { SshHost } from './ssh-host.js';
import { parseTarget } from './target.js';
import type { UnknownHostKeyHandler } from './verify-host-key.js';

export { SshError, type SshErrorKind } from './errors.js';
export { SshHost, type SshHostSummary } from './ssh-host.js';
export { acceptFirstSeenKey, describeKnownKey, type HostKeyPrompt, type KnownKey, type UnknownHostKeyHandler, type VerifiedHostKey } from './verify-host-key.js';
export type { PassphraseAsker } from './agents.js';
export type { Privilege, PasswordVerdict } from './sudo.js';
export { parseTarget } from './target.js';

export interface SshOptions {
  /** What follows --ssh: [user@]host[:port], [user@][IPv6]:port, or a ~/.ssh/config alias. */
  target: string;
  /** A host key not in known_hosts: true trusts it and adds it to known_hosts. Without it, such a host is refused. */
  onUnknownHostKey?: UnknownHostKeyHandler;
  /** An encrypted key the server would accept: its passphrase, or null to skip the key. Without it, such keys are skipped. */
  askPassphrase?: PassphraseAsker;
  /** Per hop: connecting, handshake and login, not counting time spent asking. Default 15 s (ConnectTimeout wins). */
  connectTimeoutMs?: number;
  /** Commands at once on the connection. Default 8 (sshd's MaxSessions is 10). */
  maxChannels?: number;
  /** false: every command on an exec channel of its own, never batched on a long-lived shell. */
  batching?: boolean;
  /**
   * true: the look-ahead's shell opens at login too (nginx's box, where the look-ahead starts with the
   * first step). Default false: it opens when the first look-ahead comes, so a box only asked a few
   * things logs in once.
   */
  lookAheadAtLogin?: boolean;
  /**
   * Read-only commands the session will ask first: they run beside the login's own probes, in the same
   * flight, and each answers the first time it is asked (while fresh, and only when it ran as every
   * later command will, with the same privilege).
   */
  atLogin?: CommandSpec[];
  /** Where to read from; the defaults are the usual ones. null: no such file. */
  files?: {
    home?: string;
    userConfig?: string | null;
    systemConfig?: string | null;
    globalKnownHosts?: string[];
  };
  /** SSH_AUTH_SOCK is read from here. Default process.env. */
  env?: NodeJS.ProcessEnv;
  debug?: (line: string) => void;
}

function readIfThere(path: string | null | undefined): string | undefined {
  if (!path || !existsSync(path)) return undefined;
  return readFileSync(path, 'utf8');
}

function localContext(home: string, env: NodeJS.ProcessEnv): LocalContext {
  let user = env.USER ?? env.LOGNAME ?? '';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry: keep $USER */
  }
  return { home, user, uid: process.getuid?.() ?? 0, hostname: hostname(), env };
}

/** Connects and checks privileges; throws SshError (see its kind) when the host cannot be used. */
export async function connectSsh(options: SshOptions): Promise<SshHost> {
  const env = options.env ?? process.env;
  const home = options.files?.home ?? homedir();
  const userConfig = options.files?.userConfig === undefined ? join(home, '.ssh', 'config') : options.files.userConfig;
  const systemConfig = options.files?.systemConfig === undefined ? '/etc/ssh/ssh_config' : options.files.systemConfig;
  const texts = { user: readIfThere(userConfig), system: readIfThere(systemConfig) };
  const resolved = resolveHost(parseTarget(options.target), texts, localContext(home, env));
  const globalKnownHosts = options.files?.globalKnownHosts ?? GLOBAL_KNOWN_HOSTS;
  const notes = [...resolved.notes];
  const deps = {
    known: (hop: ResolvedHost) => {
      const loaded = loadKnownHosts(hop.knownHostsFiles, globalKnownHosts);
      for (const note of loaded.notes) if (!notes.includes(note)) notes.push(note);
      return loaded;
    },
    timeoutMs: options.connectTimeoutMs ?? 15_000,
    ...(options.onUnknownHostKey ? { onUnknownHostKey: options.onUnknownHostKey } : {}),
    ...(options.askPassphrase ? { askPassphrase: options.askPassphrase } : {}),
    ...(env.SSH_AUTH_SOCK ? { agentSocket: env.SSH_AUTH_SOCK } : {}),
    ...(options.debug ? { debug: options.debug } : {}),
  };
  const hops = await connectChain(resolved, deps);
  const host = new SshHost(
    resolved,
    hops,
    deps,
    { maxChannels: options.maxChannels ?? 8, batching: options.batching ?? true, lookAheadAtLogin: options.lookAheadAtLogin ?? false, atLogin: options.atLogin ?? [] },
    notes,
  );
  try {
    await host.checkPrivilege();
  } catch (error) {
    await host.close();
    throw error;
  }
  return host;
}
