import { cachedProbe, type KeptRead, plainProbeResult } from '../system/config-read-cache.js';
import { isNginxProbe } from '../system/nginx-probe.js';
import type { CommandResult, CommandSpec, Host } from './host.js';

/** Where kept reads live between runs (the person's state folder: src/modes/kept-read-file.ts). */
export interface KeptReadStore {
  /** The reader's version the kept reads must carry. */
  readonly reader: string;
  load(): KeptRead | null;
  save(kept: KeptRead): void;
}

/**
 * nginx's box, with the config read kept between runs (config-read-cache.ts): the login probe goes out as
 * the cached probe, and comes back as the plain probe's answer, so no check sees a difference.
 */
export class KeptReadHost implements Host {
  /** Whether the kept read stood (null until the probe ran): for the tests. */
  hit: boolean | null = null;

  private constructor(
    readonly inner: Host,
    private readonly store: KeptReadStore,
    private readonly kept: KeptRead | null,
    readonly probe: CommandSpec,
  ) {}

  /** The probe to send (an SSH login carries it) before the host exists, and how to wrap the host then. */
  static prepare(store: KeptReadStore): { probe: CommandSpec; wrap: (inner: Host) => KeptReadHost } {
    const kept = store.load();
    const probe = cachedProbe(kept);
    return { probe, wrap: (inner) => new KeptReadHost(inner, store, kept, probe) };
  }

  get label(): string {
    return this.inner.label;
  }

  get events(): readonly string[] {
    return this.inner.events ?? [];
  }

  async run(command: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    if (!isNginxProbe(command.argv)) return this.inner.run(command, signal);
    const run = await this.inner.run({ ...this.probe, ...(command.early ? { early: true } : {}) }, signal);
    const { result, keep, hit } = plainProbeResult(run, this.kept, this.store.reader);
    this.hit = hit;
    if (keep) this.store.save(keep);
    return result;
  }

  promote(command: CommandSpec): void {
    this.inner.promote?.(isNginxProbe(command.argv) ? this.probe : command);
  }

  summary(): Record<string, unknown> {
    const inner = this.inner as Host & { summary?: () => Record<string, unknown> };
    return typeof inner.summary === 'function' ? inner.summary() : {};
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
