import type { CommandResult, CommandSpec } from '../hosts/host.js';

/** Results younger than this count as the box's present state; older ones are asked again. */
const MAX_AGE_MS = 15_000;

interface Entry {
  at: number;
  result: Promise<CommandResult>;
  /** Started by the look-ahead: its later rounds may start after the step that needs them did. */
  early: boolean;
}

/**
 * What commands of this session already answered (or are answering), per host, so a later step that
 * asks the same thing gets it without another round trip. Cleared when the box may have changed
 * (a fix applied, the person went back to look again).
 */
export class CommandCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  private key(host: string, spec: CommandSpec): string {
    return JSON.stringify([host, spec.argv, spec.stdin ?? null]);
  }

  /** A result started before `startedBefore` (or by the look-ahead) and still fresh; undefined when there is none worth using. */
  async lookup(host: string, spec: CommandSpec, startedBefore: number): Promise<CommandResult | undefined> {
    const entry = this.entries.get(this.key(host, spec));
    if (!entry || (entry.at > startedBefore && !entry.early) || this.now() - entry.at > MAX_AGE_MS) return undefined;
    const result = await entry.result;
    // A command cut short (timeout, lost shell, not in a recording) is run again by whoever needs it.
    return result.failure === undefined || result.failure === 'not-found' ? result : undefined;
  }

  has(host: string, spec: CommandSpec): boolean {
    return this.running(host, spec) !== undefined;
  }

  /** The run of this command that is fresh (answered or still under way), if any. */
  running(host: string, spec: CommandSpec): Promise<CommandResult> | undefined {
    const entry = this.entries.get(this.key(host, spec));
    return entry !== undefined && this.now() - entry.at <= MAX_AGE_MS ? entry.result : undefined;
  }

  put(host: string, spec: CommandSpec, result: Promise<CommandResult>, early = false): void {
    this.entries.set(this.key(host, spec), { at: this.now(), result, early });
  }

  clear(): void {
    this.entries.clear();
  }
}
