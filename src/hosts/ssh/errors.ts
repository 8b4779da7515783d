/** Every way an SSH session can fail, as one typed error with a message a person can act on. */
import { CannotRun } from '../../errors.js';

export type SshErrorKind =
  /** The --ssh value is not [user@]host[:port]. */
  | 'bad-target'
  /** ~/.ssh/config asks for something this tool cannot do (ProxyCommand, a ProxyJump loop). */
  | 'config'
  /** The host name does not resolve. */
  | 'dns'
  /** Nothing listens on that port (connection refused). */
  | 'refused'
  /** No route to the host or network. */
  | 'unreachable'
  /** Connecting, the handshake or the login took too long. */
  | 'timeout'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  /** The server refused every key offered. */
  | 'auth'
  /** An encrypted key would have been needed and no passphrase was given. */
  | 'passphrase-needed'
  /** The connection was lost and could not be restored. */
  | 'dropped'
  /** A jump host could not open the tunnel to the next hop. */
  | 'jump'
  /** Anything else in the SSH protocol (no common algorithm, a malformed packet). */
  | 'protocol';

/** Exit 3, whatever the kind (a --ssh value that is not a target too, as before). */
export class SshError extends CannotRun {
  override readonly name = 'SshError';
  constructor(
    readonly kind: SshErrorKind,
    /** The hop this is about: user@host[:port]. */
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

interface NodeishError {
  code?: unknown;
  level?: unknown;
  message?: unknown;
  reason?: unknown;
}

/** A socket, DNS or ssh2 error met while connecting to `host`, as an SshError with advice. */
export function connectError(error: unknown, host: string, address: string): SshError {
  if (error instanceof SshError) return error;
  const e = (error ?? {}) as NodeishError;
  const code = typeof e.code === 'string' ? e.code : '';
  const text = typeof e.message === 'string' ? e.message : String(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_NONAME' || /Name or service not known|name resolution|No address associated/i.test(text)) {
    return new SshError('dns', host, `cannot connect to ${host}: the name ${address} does not resolve (${code || text}). Check the spelling, or the HostName for it in ~/.ssh/config.`);
  }
  if (code === 'ECONNREFUSED' || /Connection refused/i.test(text)) {
    return new SshError('refused', host, `cannot connect to ${host}: connection refused at ${address}. Is sshd running there, and on that port?`);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || /No route to host|Network is unreachable/i.test(text)) {
    return new SshError('unreachable', host, `cannot connect to ${host}: no route to ${address} (${code || text}). Check the address and any firewall between here and there.`);
  }
  if (code === 'ETIMEDOUT' || e.level === 'client-timeout' || /timed out/i.test(text)) {
    return new SshError('timeout', host, `cannot connect to ${host}: ${address} did not answer in time. Check the address, the port and any firewall that drops packets.`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /closed|reset/i.test(text)) {
    return new SshError(
      'dropped',
      host,
      `the connection to ${host} (${address}) was closed during the SSH handshake (${text}). sshd may refuse this client (MaxStartups, AllowUsers, TCP wrappers): its log says why.`,
    );
  }
  return new SshError('protocol', host, `SSH with ${host} (${address}) failed: ${text}`);
}
