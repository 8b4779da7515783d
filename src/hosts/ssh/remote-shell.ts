/**
 * One long-lived `sh` on an SSH connection that runs batches of commands (batch-script.ts): after the
 * channel is open, a batch costs one round trip instead of an exec channel's two.
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { batchScript, FrameReader, type BatchCommand, type FramedResult } from './batch-script.js';
import { sudoProgress, type SudoMarkers } from './sudo.js';

export type ShellAnswer = { results: FramedResult[] } | { failure: string };
/** Hears one command of a batch as soon as it ended, by its index in the batch. */
export type AnswerListener = (index: number, result: FramedResult) => void;

const MAX_OUTPUT = 64 * 1024 * 1024;

export class RemoteShell {
  /** What the shell printed since the current batch started: the first `length` bytes of `buffer`. */
  private buffer = Buffer.alloc(0);
  private length = 0;
  private stderr = '';
  private pending: { reader: FrameReader; settle: (answer: ShellAnswer) => void; timer: NodeJS.Timeout; heard: Set<number>; each: AnswerListener | undefined } | undefined;
  private ended: string | undefined;
  private batches = 0;
  private readonly nonce = randomBytes(4).toString('hex');

  private clientAlive = true;

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (chunk: Buffer) => this.received(chunk));
    channel.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2000);
    });
    channel.on('close', () => this.end(this.clientAlive ? `the remote shell ended${this.stderr.trim() ? `: ${this.stderr.trim().slice(-300)}` : ''}` : 'dropped'));
  }

  /**
   * Starts `command` (a shell, maybe under sudo) and resolves once it takes input. With `sudo`, the
   * password goes in when sudo prompts, and the shell is ready when it prints the ready marker.
   */
  static open(client: Client, command: string, options: { timeoutMs: number; sudo?: { password: string; markers: SudoMarkers } }): Promise<RemoteShell | { failure: string }> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (value: RemoteShell | { failure: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => done({ failure: 'timeout opening the remote shell' }), options.timeoutMs);
      try {
        client.exec(command, (error, channel) => {
          if (error) return done({ failure: /No response from server|Not connected|closed/i.test(error.message) ? 'dropped' : `cannot open an SSH channel: ${error.message}` });
          if (settled) return channel.close();
          const shell = new RemoteShell(channel);
          client.once('close', () => {
            shell.clientAlive = false;
            shell.end('dropped');
          });
          if (!options.sudo) return done(shell);
          const { password, markers } = options.sudo;
          let sent = false;
          let seen = '';
          channel.stderr.on('data', (chunk: Buffer) => {
            if (settled) return;
            seen += chunk.toString('utf8');
            const progress = sudoProgress(seen, markers);
            if (progress.prompts > 1) {
              channel.close();
              return done({ failure: 'sudo-password-rejected' });
            }
            if (progress.prompts === 1 && !sent) {
              sent = true;
              channel.write(`${password}\n`);
            }
            if (progress.ready) done(shell);
          });
          channel.on('close', () => done({ failure: `the remote shell did not start: ${seen.trim().slice(-300)}` }));
        });
      } catch (error) {
        done({ failure: `cannot open an SSH channel: ${(error as Error).message}` });
      }
    });
  }

  get idle(): boolean {
    return !this.pending && this.ended === undefined;
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /**
   * Runs the commands at once; `each` hears every command's answer as soon as it ends, and the promise
   * settles when all have (or the shell is lost). One batch at a time.
   */
  run(commands: readonly BatchCommand[], timeoutMs: number, each?: AnswerListener): Promise<ShellAnswer> {
    const id = `${this.nonce}-${++this.batches}`;
    return this.await(id, commands.length, timeoutMs, each, () => {
      this.forget();
      this.channel.write(batchScript(id, commands));
    });
  }

  /** The answers of the batch the shell was started with (shellOpeningWith), whether or not they came yet. */
  opening(id: string, count: number, timeoutMs: number): Promise<ShellAnswer> {
    return this.await(id, count, timeoutMs, undefined, () => this.received(Buffer.alloc(0)));
  }

  private await(id: string, count: number, timeoutMs: number, each: AnswerListener | undefined, start: () => void): Promise<ShellAnswer> {
    if (this.ended !== undefined) return Promise.resolve({ failure: this.ended });
    if (this.pending) return Promise.reject(new Error('the remote shell is busy'));
    return new Promise((settle) => {
      const timer = setTimeout(() => {
        this.close();
        this.end('timeout');
      }, timeoutMs);
      this.pending = { reader: new FrameReader(id, count), settle, timer, heard: new Set(), each };
      start();
    });
  }

  /** Appends to the output, doubling the room when it runs out: a large output is copied a few times, not per chunk. */
  private append(chunk: Buffer): void {
    if (this.length + chunk.length > this.buffer.length) {
      const bigger = Buffer.alloc(Math.max(64 * 1024, 2 * this.buffer.length, this.length + chunk.length));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    chunk.copy(this.buffer, this.length);
    this.length += chunk.length;
  }

  /** Drops the output of a finished batch; the room stays unless a large output made it large. */
  private forget(): void {
    this.length = 0;
    if (this.buffer.length > 1024 * 1024) this.buffer = Buffer.alloc(0);
  }

  private received(chunk: Buffer): void {
    if (this.length + chunk.length > MAX_OUTPUT) {
      this.close();
      return this.end('output too large');
    }
    this.append(chunk);
    const pending = this.pending;
    if (!pending) return;
    const parsed = pending.reader.read(this.buffer.subarray(0, this.length));
    parsed.results.forEach((result, index) => {
      if (!result || pending.heard.has(index)) return;
      pending.heard.add(index);
      pending.each?.(index, result);
    });
    if (!parsed.done) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    this.forget();
    if (parsed.failed !== undefined) {
      this.close();
      this.end(parsed.failed);
      return pending.settle({ failure: parsed.failed });
    }
    pending.settle({ results: parsed.results as FramedResult[] });
  }

  /** Called once when the shell is gone, whatever the reason. */
  whenEnded(callback: () => void): void {
    if (this.ended !== undefined) return callback();
    this.onEnd.push(callback);
  }

  private readonly onEnd: (() => void)[] = [];

  private end(reason: string): void {
    if (this.ended === undefined) {
      this.ended = reason;
      for (const callback of this.onEnd.splice(0)) callback();
    }
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.settle({ failure: reason });
    }
  }

  close(): void {
    try {
      this.channel.close();
    } catch {
      /* already closed */
    }
    this.end(this.ended ?? 'closed');
  }
}
