/** One command on one SSH connection: an exec channel, its output, its exit code, its time limit. */
import type { Client, ClientChannel } from 'ssh2';
import { cleanStderr, sudoProgress, type SudoMarkers } from './sudo.js';

export interface ChannelRun {
  stdout: string;
  stderr: string;
  code: number | null;
  /** 'timeout', 'aborted', 'dropped' (the connection went away), 'sudo-password-rejected', 'session-refused', or a reason. */
  failure?: string;
}

export interface ChannelOptions {
  stdin?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** sudo -S: the password goes in when sudo prompts, the stdin once the command has started. */
  sudo?: { password: string; markers: SudoMarkers };
}

const MAX_OUTPUT = 32 * 1024 * 1024;

interface ChannelInternals {
  outgoing?: { id?: number; state?: string };
  _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
}

/**
 * Asks sshd to signal the command (OpenSSH honours "signal" requests since 7.9). ssh2's
 * channel.signal() sends nothing once our side of the channel is ended, which it is as soon as stdin
 * has been sent; the request is still valid then, so it goes through ssh2's protocol object.
 */
function signalChannel(channel: ClientChannel, name: string): void {
  const internals = channel as unknown as ChannelInternals;
  const id = internals.outgoing?.id;
  const protocol = internals._client?._protocol;
  // 'eof': we sent EOF (stdin is done) but the channel is still open both ways for requests.
  if (id === undefined || internals.outgoing?.state !== 'eof' || typeof protocol?.signal !== 'function') return channel.signal(name);
  protocol.signal(id, name);
}

export function runChannel(client: Client, command: string, options: ChannelOptions): Promise<ChannelRun> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let code: number | null = null;
    let exitSignal: string | undefined;
    let exited = false;
    let settled = false;
    let channel: ClientChannel | undefined;
    let passwordSent = false;
    let stdinSent = false;

    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    const finish = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', onLost);
      let stderr = text(err);
      if (options.sudo) stderr = cleanStderr(stderr, options.sudo.markers);
      const result: ChannelRun = { stdout: text(out), stderr, code: failure ? null : code };
      if (failure) result.failure = failure;
      else if (!exited) result.failure = 'dropped';
      else if (code === null) result.failure = exitSignal ? `killed by SIG${exitSignal}` : 'no exit status';
      resolve(result);
    };
    const stop = (failure: string) => {
      if (channel) {
        try {
          signalChannel(channel, 'KILL');
        } catch {
          /* the channel may already be gone */
        }
        try {
          channel.close();
        } catch {
          /* already closed */
        }
      }
      finish(failure);
    };
    const onAbort = () => stop('aborted');
    const onLost = () => finish('dropped');
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    if (options.signal?.aborted) return stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('close', onLost);

    const sendStdin = () => {
      if (stdinSent || !channel) return;
      stdinSent = true;
      if (options.stdin !== undefined) channel.end(options.stdin);
      else channel.end();
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) return stop('output too large');
      into.push(chunk);
    };

    try {
      client.exec(command, (error, opened) => {
        if (error) {
          // OpenSSH refuses a session past MaxSessions with "open failed" (reason 2; 1 elsewhere). It
          // frees a finished session's slot a little after the session closes, so this is worth a retry.
          const reason = (error as Error & { reason?: unknown }).reason;
          if ((reason === 1 || reason === 2) && /open failed/.test(error.message)) return finish('session-refused');
          const message = error.message;
          return finish(/No response from server|Not connected|closed/i.test(message) ? 'dropped' : `cannot open an SSH channel: ${message}`);
        }
        channel = opened;
        if (settled) {
          opened.close();
          return;
        }
        opened.on('data', collect(out));
        const onErr = collect(err);
        opened.stderr.on('data', (chunk: Buffer) => {
          onErr(chunk);
          if (!options.sudo || settled || stdinSent) return;
          const progress = sudoProgress(text(err), options.sudo.markers);
          if (progress.prompts > 1) return stop('sudo-password-rejected');
          if (progress.prompts === 1 && !passwordSent) {
            passwordSent = true;
            opened.write(`${options.sudo.password}\n`);
          }
          if (progress.ready) sendStdin();
        });
        opened.on('exit', (exitCode: number | null, signalName?: string) => {
          exited = true;
          code = typeof exitCode === 'number' ? exitCode : null;
          if (signalName) exitSignal = signalName;
        });
        opened.on('close', () => finish());
        // Without sudo -S the command starts at once; with it, stdin waits for the ready line.
        if (!options.sudo) sendStdin();
      });
    } catch (error) {
      finish(`cannot open an SSH channel: ${(error as Error).message}`);
    }
  });
}
