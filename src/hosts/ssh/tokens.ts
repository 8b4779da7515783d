/**
 * ssh_config(5) TOKENS and ${ENV} expansion, and ~ at the start of a path. Pure: the caller passes
 * every local value. Which tokens a keyword accepts follows the OpenSSH 9.2 manual.
 */
import { createHash } from 'node:crypto';

export interface TokenValues {
  /** %h: the remote host name (after HostName). */
  host: string;
  /** %n: the host as given on the command line. */
  original: string;
  /** %p */
  port: number;
  /** %r: the remote user. */
  remoteUser: string;
  /** %u */
  localUser: string;
  /** %d */
  home: string;
  /** %i */
  uid: number;
  /** %l, the full local host name; %L is its first label. */
  localHost: string;
  /** %k: HostKeyAlias when set, else the original host. */
  hostKeyAlias?: string;
}

/** Tokens each keyword accepts (ssh_config(5), TOKENS). */
export const TOKENS = {
  path: 'CdhikLlnpru',
  hostName: 'h',
  proxyJump: 'hnpr',
} as const;

function tokenValue(letter: string, v: TokenValues): string | undefined {
  switch (letter) {
    case 'h':
      return v.host;
    case 'n':
      return v.original;
    case 'p':
      return String(v.port);
    case 'r':
      return v.remoteUser;
    case 'u':
      return v.localUser;
    case 'd':
      return v.home;
    case 'i':
      return String(v.uid);
    case 'l':
      return v.localHost;
    case 'L':
      return v.localHost.split('.')[0] ?? v.localHost;
    case 'k':
      return v.hostKeyAlias ?? v.original;
    case 'C':
      return createHash('sha1').update(`${v.localHost}${v.host}${v.port}${v.remoteUser}`).digest('hex');
  }
  return undefined;
}

/** Expands %x tokens among `allowed`; an unknown or disallowed token is an error, as in ssh. */
export function expandTokens(text: string, allowed: string, values: TokenValues): string {
  return text.replace(/%(.?)/g, (_, letter: string) => {
    if (letter === '%') return '%';
    const value = allowed.includes(letter) ? tokenValue(letter, values) : undefined;
    if (value === undefined) throw new Error(`"%${letter}" is not a token ssh accepts here`);
    return value;
  });
}

/** ${NAME} from the environment; a variable that is not set is an error, as in ssh. */
export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new Error(`the environment variable ${name} is not set`);
    return value;
  });
}

/** ~ and ~/x become the home directory. (~otheruser is left alone: we cannot look it up purely.) */
export function expandTilde(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home.replace(/\/$/, '')}/${path.slice(2)}`;
  return path;
}

/** A file keyword's value (IdentityFile, UserKnownHostsFile, IdentityAgent): ~, then tokens, then ${ENV}. */
export function expandPath(text: string, values: TokenValues, env: Readonly<Record<string, string | undefined>>): string {
  return expandEnv(expandTokens(expandTilde(text, values.home), TOKENS.path, values), env);
}
