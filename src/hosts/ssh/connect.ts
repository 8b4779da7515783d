/**
 * Opening the SSH connection to a target, through its ProxyJump hosts when it has any: every hop's host
 * key checked against known_hosts, every hop logged in with keys only (ssh-agent, then key files).
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig } from 'ssh2';
import { KeyFileAgent, UserAgent, type PassphraseAsker } from './agents.js';
import type { ResolvedHost } from './config.js';
import { Deadline } from './deadline.js';
import { connectError, SshError } from './errors.js';
import { publicFromFile, readIdentity } from './identity.js';
import { knownKeyTypes, type KnownHosts } from './known-hosts.js';
import { lookupName, verifyHostKey, type UnknownHostKeyHandler, type VerifiedHostKey } from './verify-host-key.js';

export interface ConnectDeps {
  /** The known_hosts entries for a hop (its UserKnownHostsFile and the system files), read at each login. */
  known: (hop: ResolvedHost) => KnownHosts;
  onUnknownHostKey?: UnknownHostKeyHandler;
  askPassphrase?: PassphraseAsker;
  /** $SSH_AUTH_SOCK, unless IdentityAgent says otherwise. */
  agentSocket?: string;
  /** For connecting, the handshake and the login of one hop; time spent asking a person is not counted. */
  timeoutMs: number;
  debug?: (line: string) => void;
}

export interface Hop {
  host: ResolvedHost;
  client: Client;
  hostKey: VerifiedHostKey;
  /** The TCP connection of the first hop (a later hop's runs through a tunnel of the one before). */
  socket?: Socket;
}

/** Compression yes, as ssh -C: zlib after login (OpenSSH's), else zlib from the start, else none. */
const COMPRESSED: ssh2.CompressionAlgorithm[] = ['zlib@openssh.com', 'zlib', 'none'];

/** ssh2's host key algorithms, in its default order. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] as const;

/** As ssh does: algorithms for key types already in known_hosts first, so a known host is not asked about another key. */
export function hostKeyOrder(knownTypes: readonly string[]): string[] {
  const algorithmsOf = (type: string) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);
  const preferred = knownTypes.flatMap(algorithmsOf).filter((a) => (HOST_KEY_ALGORITHMS as readonly string[]).includes(a));
  return [...new Set([...preferred, ...HOST_KEY_ALGORITHMS])];
}

function address(host: ResolvedHost): string {
  return `${host.hostName.includes(':') ? `[${host.hostName}]` : host.hostName}:${host.port}`;
}

function authMethods(hop: ResolvedHost, deps: ConnectDeps, deadline: Deadline) {
  const skipped: string[] = [];
  const identities = hop.identityFiles.map((f) => readIdentity(f, skipped)).filter((i) => i !== null);
  const socket = hop.identityAgent === 'none' ? undefined : (hop.identityAgent ?? deps.agentSocket);
  // IdentitiesOnly: the agent may offer only keys named by IdentityFile (a key file, or just its .pub).
  const named = [...identities.map((i) => i.publicKey), ...hop.identityFiles.map((f) => publicFromFile(`${f}.pub`)).filter((k) => k !== null)];
  const userAgent = socket ? new UserAgent(socket, hop.identitiesOnly ? named : null) : undefined;
  const ask = deps.askPassphrase;
  const fileAgent = new KeyFileAgent(identities, ask ? (file, attempt) => deadline.whilePaused(() => ask(file, attempt)) : undefined, () => userAgent?.offered ?? []);
  const methods: ssh2.AgentAuthMethod[] = [];
  if (userAgent) methods.push({ type: 'agent', username: hop.user, agent: userAgent });
  if (identities.length) methods.push({ type: 'agent', username: hop.user, agent: fileAgent });
  return { methods, identities, skipped, userAgent, fileAgent, socket };
}

/** Logs in to one hop over `sock` (a tunnel from the previous hop) or a new TCP connection. */
export function connectHop(hop: ResolvedHost, deps: ConnectDeps, sock?: Duplex, via?: string): Promise<Hop> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    // Each running command listens for the connection closing: up to 8 of them, plus our own listeners.
    client.setMaxListeners(32);
    // The first hop's TCP connection is ours, not ssh2's, so closing can let go of it (SshHost.close).
    const tcp = sock ? undefined : new Socket();
    tcp?.setMaxListeners(0);
    let settled = false;
    let hostKey: VerifiedHostKey | undefined;
    let refusal: SshError | undefined;
    const agentErrors: string[] = [];
    const fail = (error: SshError) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      reject(error);
      // destroy, not end: a server that never spoke SSH gets no goodbye, and no socket is left open.
      client.destroy();
      sock?.destroy();
      tcp?.destroy();
    };
    const deadline = new Deadline(hop.connectTimeoutMs ?? deps.timeoutMs, () =>
      fail(
        new SshError(
          'timeout',
          hop.label,
          `cannot connect to ${hop.label}: no SSH login at ${address(hop)} within ${Math.round((hop.connectTimeoutMs ?? deps.timeoutMs) / 1000)} s${via ? ` (through ${via})` : ''}. Check the address, the port and any firewall in between.`,
        ),
      ),
    );
    const auth = authMethods(hop, deps, deadline);
    if (!auth.methods.length) {
      return fail(
        new SshError(
          'auth',
          hop.label,
          `no key to log in to ${hop.label} with: no ssh-agent (SSH_AUTH_SOCK is not set) and none of ${hop.identityFiles.join(', ')} can be used${auth.skipped.length ? ` (${auth.skipped.join('; ')})` : ''}. Create a key with ssh-keygen and add its .pub to ~/.ssh/authorized_keys of ${hop.user} there, or name your key with IdentityFile in ~/.ssh/config.`,
        ),
      );
    }
    const authFailure = (): SshError => {
      if (auth.fileAgent.locked.length) {
        return new SshError(
          'passphrase-needed',
          hop.label,
          `cannot log in to ${hop.label}: the key ${auth.fileAgent.locked.join(', ')} is encrypted and no passphrase was given. Load it into ssh-agent first (ssh-add ${auth.fileAgent.locked[0]}), or run the wizard in a terminal to type the passphrase.`,
        );
      }
      const offered = [auth.userAgent ? `${auth.userAgent.offered.length} key(s) from ssh-agent` : '', ...auth.identities.map((i) => i.path)].filter(Boolean).join(', ');
      return new SshError(
        'auth',
        hop.label,
        `${hop.label} refused every key offered (${offered || 'none'}${agentErrors.length ? `; ssh-agent: ${agentErrors[0]}` : ''}). Put your public key in ~/.ssh/authorized_keys of ${hop.user} there, or name the right key with IdentityFile in ~/.ssh/config.`,
      );
    };
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      deadline.clear();
      resolve({ host: hop, client, hostKey: hostKey as VerifiedHostKey, ...(tcp ? { socket: tcp } : {}) });
    });
    client.on('error', (error: Error & { level?: string }) => {
      if (error.level === 'agent') {
        agentErrors.push(error.message);
        return;
      }
      if (settled) return;
      if (refusal) return fail(refusal);
      if (error.level === 'client-authentication' || /authentication failures/i.test(error.message)) return fail(authFailure());
      fail(connectError(error, hop.label, `${address(hop)}${via ? ` (dialled from ${via})` : ''}`));
    });
    client.on('close', () => {
      if (!settled) fail(refusal ?? new SshError('dropped', hop.label, `the connection to ${hop.label} (${address(hop)}) closed before the login finished. sshd's log on that host says why.`));
    });
    const known = deps.known(hop);
    const config: ConnectConfig = {
      username: hop.user,
      // Our own deadline replaces ssh2's, so a person answering a question is not cut off.
      readyTimeout: 0,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      algorithms: {
        serverHostKey: hostKeyOrder(knownKeyTypes(known.entries, lookupName(hop))) as ssh2.ServerHostKeyAlgorithm[],
        // ssh2 offers zlib after none, so a server that has both (OpenSSH's default) never compresses unless asked.
        ...(hop.compression ? { compress: COMPRESSED } : {}),
      },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        // Must return undefined: ssh2 then waits for verify().
        deadline
          .whilePaused(() => verifyHostKey(hop, key, known, deps.onUnknownHostKey, via))
          .then(
            (verified) => {
              hostKey = verified;
              verify(true);
            },
            (error: unknown) => {
              refusal =
                error instanceof SshError ? error : new SshError('host-key-unknown', hop.label, `the host key of ${hop.label} was not confirmed: ${(error as Error)?.message ?? String(error)}`);
              verify(false);
            },
          );
      },
      authHandler: auth.methods,
      ...(deps.debug ? { debug: deps.debug } : {}),
      sock: sock ?? (tcp as Socket),
    };
    // ssh2 waits for a socket that is still connecting, and hears its errors as of its own.
    tcp?.connect({ host: hop.hostName, port: hop.port });
    client.connect(config);
  });
}

/** Opens a tunnel from `from` to the next hop (ssh -W / ProxyJump). */
function tunnel(from: Hop, to: ResolvedHost): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    from.client.forwardOut('127.0.0.1', 0, to.hostName, to.port, (error, stream) => {
      if (!error) return resolve(stream);
      const description = error.message.replace(/^\(SSH\) Channel open failure: /, '');
      if (/prohibited/i.test(description)) {
        return reject(new SshError('jump', to.label, `the jump host ${from.host.label} does not allow tunnels (${description}): its sshd needs AllowTcpForwarding yes to reach ${to.label}.`));
      }
      reject(connectError(error, to.label, `${address(to)} (dialled from ${from.host.label})`));
    });
  });
}

/** Every hop from the first jump host to the target (the last); on failure, closes what was opened. */
export async function connectChain(target: ResolvedHost, deps: ConnectDeps): Promise<Hop[]> {
  const hops: Hop[] = [];
  try {
    for (const host of [...target.jumps, target]) {
      const previous = hops.at(-1);
      const sock = previous ? await tunnel(previous, host) : undefined;
      hops.push(await connectHop(host, deps, sock, previous?.host.label));
    }
    return hops;
  } catch (error) {
    for (const hop of hops.reverse()) hop.client.end();
    throw error;
  }
}
