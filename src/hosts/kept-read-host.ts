import { randomUUID } from 'node:crypto';
import { judgeReadAhead, judgedConfig, keepJudgedRead, type ReadConfig, type ReadManifest } from '../nginx/read-check.js';
import { DIGEST_BUILD, makeDigest, type ServerDigest } from '../nginx/server-digest.js';
import { warmConfig } from '../nginx/warm-config.js';
import { cachedProbe, type KeptRead, plainProbeResult } from '../system/config-read-cache.js';
import { parseConfigRead } from '../system/config-read.js';
import { isNginxProbe } from '../system/nginx-probe.js';
import type { CommandResult, CommandSpec, Host } from './host.js';

/** Where kept reads live between runs (the person's state folder: src/modes/kept-read-file.ts). */
export interface KeptReadStore {
  /** The reader's version the kept reads must carry. */
  readonly reader: string;
  load(): KeptRead | null;
  save(kept: KeptRead): void;
  /** The digest kept for this read (its id), if any (server-digest.ts). */
  loadDigest(kept: KeptRead): ServerDigest | null;
  saveDigest(kept: KeptRead, digest: ServerDigest): void;
}

/**
 * nginx's box, with the config read kept between runs (config-read-cache.ts): the login probe goes out as
 * the cached probe, and comes back as the plain probe's answer, so no check sees a difference.
 */
export class KeptReadHost implements Host {
  /** Whether the kept read stood (null until the probe ran): for the tests. */
  hit: boolean | null = null;
  private judgedAhead = false;
  /** The read this run uses, when it has no digest yet: close() adds one (server-digest.ts). */
  private wantsDigest: KeptRead | null = null;
  /** Whether the parse ahead used the kept read's digest. */
  private digested = false;

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
    const running = this.inner.run({ ...this.probe, ...(command.early ? { early: true } : {}) }, signal);
    let wanted = true;
    const judging = this.judgeAhead(() => wanted);
    const run = await running.catch((error: unknown) => {
      wanted = false;
      throw error;
    });
    const { result, keep, hit } = plainProbeResult(run, this.kept, this.store.reader);
    wanted = hit;
    const judged = await judging;
    if (hit && judged) keepJudgedRead(judged.stdout, judged.manifest, judged.found);
    this.hit = hit;
    // A new read gets its own id: a digest is kept for the read of that id only.
    const saved = keep ? { ...keep, id: randomUUID() } : null;
    if (saved) this.store.save(saved);
    this.wantsDigest = hit ? (this.digested ? null : this.kept) : saved;
    return result;
  }

  /**
   * A digest of the config this run parsed from its read, kept beside that read, so the next run parses only
   * what is not a vhost. Nothing is kept when the run parsed no config from it, or one with errors.
   */
  private keepDigest(): void {
    const read = this.wantsDigest;
    this.wantsDigest = null;
    const config = read?.id ? judgedConfig(read.out) : null;
    if (!read || !config) return;
    try {
      const digest = makeDigest(config, DIGEST_BUILD);
      if (digest) this.store.saveDigest(read, digest);
    } catch {
      // Only time is lost: the next run parses every file.
    }
  }

  /**
   * The kept read parsed while the box checks that it still stands (read-check.ts, judgeReadAhead): on 20,000
   * vhosts the parse and the box's stat of 40,000 names take about as long. When the read stands, the config
   * check takes this parse; when it does not, the parse stops and is dropped, and the box reads meanwhile.
   */
  private async judgeAhead(wanted: () => boolean): Promise<{ stdout: string; manifest: ReadManifest; found: ReadConfig } | null> {
    if (!this.kept || this.judgedAhead) return null;
    this.judgedAhead = true;
    const { out, err } = this.kept;
    try {
      // The probe's input (the names to check) is written while the event loop turns: let it go first.
      await new Promise((next) => setImmediate(next));
      const manifest = parseConfigRead({ argv: [], stdout: out, stderr: err, code: 0, ms: 0 });
      if (manifest.kind !== 'read') return null;
      await new Promise((next) => setImmediate(next));
      const digest = this.store.loadDigest(this.kept);
      const judged = await judgeReadAhead(out, manifest, wanted, digest ? { digest, build: DIGEST_BUILD } : undefined);
      this.digested = judged?.digested ?? false;
      if (!judged) return null;
      if (wanted() && 'config' in judged.found) warmConfig(judged.found.config);
      return { stdout: out, manifest, found: judged.found };
    } catch {
      // Only time is lost: the config check judges the read itself, and says what went wrong.
      return null;
    }
  }

  promote(command: CommandSpec): void {
    this.inner.promote?.(isNginxProbe(command.argv) ? this.probe : command);
  }

  summary(): Record<string, unknown> {
    const inner = this.inner as Host & { summary?: () => Record<string, unknown> };
    return typeof inner.summary === 'function' ? inner.summary() : {};
  }

  close(): Promise<void> {
    this.keepDigest();
    return this.inner.close();
  }
}
