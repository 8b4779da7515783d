/**
 * What ~/.ssh/config (and the system-wide ssh_config) says about a target: the address to dial, the
 * user, the port, the keys, the known_hosts files and the ProxyJump chain. Pure: config texts and the
 * local user's details come in, nothing is read or run (Match exec is never run; see matchExec).
 */
import SSHConfig from 'ssh-config';
import { SshError } from './errors.js';
import { parseTarget, targetLabel, type Target } from './target.js';
import { expandPath, expandTokens, TOKENS, type TokenValues } from './tokens.js';

export interface LocalContext {
  home: string;
  user: string;
  uid: number;
  /** This machine's host name (for %l, %L, %C). */
  hostname: string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface ConfigTexts {
  /** ~/.ssh/config */
  user?: string;
  /** /etc/ssh/ssh_config: read after the user's file, as ssh does (the first value found wins). */
  system?: string;
}

export interface ResolvedHost {
  /** user@host[:port] with the host (and port, if any) as typed. */
  label: string;
  /** The host as typed (maybe an alias). */
  alias: string;
  /** What to dial: HostName, else the host as typed. */
  hostName: string;
  user: string;
  port: number;
  /** Key files to offer, ~ and tokens expanded, in order. */
  identityFiles: string[];
  /** IdentitiesOnly yes: offer only those files' keys, also from the agent. */
  identitiesOnly: boolean;
  /** IdentityAgent: a socket path, 'none', or undefined for $SSH_AUTH_SOCK. */
  identityAgent?: string;
  /** The name looked up in known_hosts instead of host/[host]:port (HostKeyAlias). */
  hostKeyAlias?: string;
  /** UserKnownHostsFile, expanded; new keys are added to the first. */
  knownHostsFiles: string[];
  hashKnownHosts: boolean;
  /** Compression yes: zlib on the wire, as `ssh -C` (a config read of thousands of vhosts shrinks many times). */
  compression: boolean;
  /** ConnectTimeout, when set. */
  connectTimeoutMs?: number;
  /** Hosts to pass through first (ProxyJump), the first one dialled first. Each has no jumps of its own. */
  jumps: ResolvedHost[];
  /** What the config asked for that is not honoured, in plain words. */
  notes: string[];
}

const DEFAULT_KEYS = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const DEFAULT_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
const MAX_HOPS = 8;

type Computed = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function yes(value: string | string[] | undefined): boolean {
  return /^(yes|true)$/i.test(first(value) ?? '');
}

type Line = SSHConfig[number];

/**
 * Drops lines that would make ssh-config's compute run a program (CanonicalizeHostName runs nslookup)
 * and notes what is not honoured (in the user's own file only: Debian's system file always has an Include).
 */
function withoutProgramLines(config: SSHConfig, notes: Set<string> | null): void {
  for (let i = config.length - 1; i >= 0; i--) {
    const line = config[i] as Line;
    if (line.type !== SSHConfig.DIRECTIVE) continue;
    if (/^CanonicalizeHostName$/i.test(line.param)) {
      notes?.add('CanonicalizeHostName is not applied: host names are used as written');
      config.splice(i, 1);
    } else if (/^Include$/i.test(line.param)) {
      notes?.add('Include lines are not followed: settings in included files are not applied');
    } else if (/^Match$/i.test(line.param) && 'criteria' in line && Object.keys(line.criteria).some((k) => k.toLowerCase() === 'exec')) {
      notes?.add('Match exec blocks are never run, so their settings are not applied');
    }
    if ('config' in line) withoutProgramLines(line.config, notes);
  }
}

function compute(config: SSHConfig, target: Target): Computed {
  return config.compute({ Host: target.host, ...(target.user ? { User: target.user } : {}) }, { ignoreCase: true, matchExec: false }) as Computed;
}

function configError(label: string, why: string): SshError {
  return new SshError('config', label, `~/.ssh/config for ${label}: ${why}`);
}

/** One host on its own: its settings, and the ProxyJump hop specs (not yet resolved). */
function resolveOne(config: SSHConfig, target: Target, local: LocalContext): { host: ResolvedHost; jumpSpecs: string[] } {
  const c = compute(config, target);
  const user = target.user ?? first(c.user) ?? local.user;
  const portText = target.port !== undefined ? String(target.port) : first(c.port);
  const port = portText === undefined ? 22 : Number(portText);
  // The label names the host as the person typed it: a port from the config stays out of it.
  const label = targetLabel(user, target.host, target.port ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw configError(label, `Port "${portText}" is not a port number`);
  const values: TokenValues = {
    host: target.host,
    original: target.host,
    port,
    remoteUser: user,
    localUser: local.user,
    home: local.home,
    uid: local.uid,
    localHost: local.hostname,
  };
  const expand = (what: string, text: string, allowed: string, asPath: boolean): string => {
    try {
      return asPath ? expandPath(text, values, local.env) : expandTokens(text, allowed, values);
    } catch (error) {
      throw configError(label, `${what} "${text}": ${(error as Error).message}`);
    }
  };
  const hostNameRaw = first(c.hostname);
  const hostName = hostNameRaw ? expand('HostName', hostNameRaw, TOKENS.hostName, false) : target.host;
  values.host = hostName;
  const hostKeyAlias = first(c.hostkeyalias);
  if (hostKeyAlias) values.hostKeyAlias = hostKeyAlias;

  const proxyCommand = first(c.proxycommand);
  if (proxyCommand && !/^none$/i.test(proxyCommand)) {
    throw configError(label, `ProxyCommand is not supported (it runs a local program). Use ProxyJump [user@]host[:port] instead.`);
  }
  const identityRaw = list(c.identityfile).filter((f) => !/^none$/i.test(f));
  const identityFiles = (identityRaw.length ? identityRaw : DEFAULT_KEYS).map((f) => expand('IdentityFile', f, TOKENS.path, true));
  const knownRaw = list(c.userknownhostsfile)
    .flatMap((f) => f.split(/\s+/))
    .filter(Boolean);
  const knownHostsFiles = /^none$/i.test(knownRaw[0] ?? '') ? [] : (knownRaw.length ? knownRaw : DEFAULT_KNOWN_HOSTS).map((f) => expand('UserKnownHostsFile', f, TOKENS.path, true));
  const agentRaw = first(c.identityagent);
  let identityAgent: string | undefined;
  if (agentRaw && agentRaw !== 'SSH_AUTH_SOCK') {
    identityAgent = /^none$/i.test(agentRaw) ? 'none' : expand('IdentityAgent', agentRaw.startsWith('$') && !agentRaw.startsWith('${') ? `\${${agentRaw.slice(1)}}` : agentRaw, TOKENS.path, true);
  }
  const timeoutText = first(c.connecttimeout);
  const jumpRaw = first(c.proxyjump);
  const jumpSpecs =
    jumpRaw && !/^none$/i.test(jumpRaw)
      ? expand('ProxyJump', jumpRaw, TOKENS.proxyJump, false)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const host: ResolvedHost = {
    label,
    alias: target.host,
    hostName,
    user,
    port,
    identityFiles,
    identitiesOnly: yes(c.identitiesonly),
    knownHostsFiles,
    hashKnownHosts: yes(c.hashknownhosts),
    compression: yes(c.compression),
    jumps: [],
    notes: [],
    ...(identityAgent ? { identityAgent } : {}),
    ...(hostKeyAlias ? { hostKeyAlias } : {}),
    ...(timeoutText && /^\d+$/.test(timeoutText) && Number(timeoutText) > 0 ? { connectTimeoutMs: Number(timeoutText) * 1000 } : {}),
  };
  return { host, jumpSpecs };
}

/**
 * Resolves a target and its ProxyJump chain as ssh does for `-J a,b target`: the target is reached
 * through b, b through a, and a through a's own ProxyJump from the config (b's own is not used).
 */
export function resolveHost(target: Target, texts: ConfigTexts, local: LocalContext): ResolvedHost {
  const notes = new Set<string>();
  // Each file is parsed on its own, so the system file's top-level lines never join a block the
  // user's file ended in; then they are read one after the other, as ssh does.
  const config = SSHConfig.parse(texts.user ?? '');
  withoutProgramLines(config, notes);
  const system = SSHConfig.parse(texts.system ?? '');
  withoutProgramLines(system, null);
  config.push(...system);
  const chainFor = (spec: Target, depth: number): ResolvedHost[] => {
    const { host, jumpSpecs } = resolveOne(config, spec, local);
    if (!jumpSpecs.length) return [host];
    if (depth >= MAX_HOPS) throw configError(host.label, `the ProxyJump chain is longer than ${MAX_HOPS} hops; does it loop?`);
    const hops = jumpSpecs.map((hopSpec) => {
      try {
        return parseTarget(hopSpec);
      } catch (error) {
        throw configError(host.label, `ProxyJump "${hopSpec}": ${(error as Error).message}`);
      }
    });
    const [firstHop, ...later] = hops as [Target, ...Target[]];
    const chain = chainFor(firstHop, depth + 1);
    for (const hop of later) chain.push(resolveOne(config, hop, local).host);
    if (chain.length > MAX_HOPS) throw configError(host.label, `the ProxyJump chain is longer than ${MAX_HOPS} hops; does it loop?`);
    return [...chain, host];
  };
  const chain = chainFor(target, 0);
  const resolved = chain.pop() as ResolvedHost;
  return { ...resolved, jumps: chain, notes: [...notes] };
}
