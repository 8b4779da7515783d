import type { CommandResult, CommandSpec, Host } from './host.js';

/** One command as it ran, before any redaction (the recorder redacts when it writes the file). */
export interface CommandLogEntry {
  seq: number;
  at: number;
  spec: CommandSpec;
  result: CommandResult | null;
}

/**
 * A host that runs every command on the host it wraps and keeps what happened: argv, stdin, output,
 * exit code, time. The slot is taken when the command starts, so repeated commands keep their order
 * even when they finish out of order.
 */
export class RecordingHost implements Host {
  readonly log: CommandLogEntry[] = [];

  constructor(
    readonly inner: Host,
    private readonly clock: () => number,
  ) {}

  get label(): string {
    return this.inner.label;
  }

  get events(): readonly string[] {
    return this.inner.events ?? [];
  }

  async run(command: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const entry: CommandLogEntry = { seq: this.log.length, at: Math.max(0, Math.round(this.clock())), spec: command, result: null };
    this.log.push(entry);
    const result = await this.inner.run(command, signal);
    entry.result = result;
    return result;
  }

  promote(command: CommandSpec): void {
    this.inner.promote?.(command);
  }

  /** What the wrapped host says about itself (an SSH host's user and privileges), when it says anything. */
  summary(): Record<string, unknown> {
    const inner = this.inner as Host & { summary?: () => Record<string, unknown> };
    return typeof inner.summary === 'function' ? inner.summary() : {};
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
