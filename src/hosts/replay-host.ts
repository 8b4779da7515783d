import { commandKey, type RecordedCommand } from '../record/recording.js';
import { redactArgv, redactText } from '../record/redact.js';
import type { CommandResult, CommandSpec, Host } from './host.js';

/** The failure of a command the recording does not hold: the check says it could not run it. */
export const NOT_RECORDED = 'not-recorded';

/**
 * A host with no box behind it: each command gets the result recorded for the same argv and stdin on
 * this host. The N-th run of a command gets the N-th recorded result; running it more often than it
 * was recorded (the wizard's Back runs a step again) starts over from the first, so a step run again
 * sees what it saw the first time. A command the recording lacks fails with 'not-recorded'.
 */
export class ReplayHost implements Host {
  private readonly byKey = new Map<string, RecordedCommand[]>();
  private readonly used = new Map<string, number>();

  constructor(
    readonly label: string,
    commands: readonly RecordedCommand[],
    private readonly details: Record<string, unknown> = {},
  ) {
    for (const command of [...commands].sort((a, b) => a.seq - b.seq)) {
      // Redacted again by today's rules (idempotent), so a recording made under older ones still matches.
      const key = commandKey(redactArgv(command.argv), command.stdin === undefined ? undefined : redactText(command.stdin));
      const list = this.byKey.get(key) ?? [];
      list.push(command);
      this.byKey.set(key, list);
    }
  }

  async run(command: CommandSpec): Promise<CommandResult> {
    // Recorded commands are redacted; the same rules make this one comparable (and are idempotent).
    const key = commandKey(redactArgv(command.argv), command.stdin === undefined ? undefined : redactText(command.stdin));
    const recorded = this.byKey.get(key);
    if (!recorded?.length) {
      return { argv: command.argv, stdout: '', stderr: `badgateway replay: ${this.label} has no recorded result for this command`, code: null, ms: 0, failure: NOT_RECORDED };
    }
    const n = this.used.get(key) ?? 0;
    this.used.set(key, n + 1);
    const hit = recorded[n % recorded.length] as RecordedCommand;
    return { argv: command.argv, stdout: hit.stdout, stderr: hit.stderr, code: hit.code, ms: hit.ms, ...(hit.failure !== undefined ? { failure: hit.failure } : {}) };
  }

  /** The host as it was described when recorded (user, privileges over SSH). */
  summary(): Record<string, unknown> {
    return { ...this.details, replayed: true };
  }

  async close(): Promise<void> {}
}
