/**
 * Commands asked for at the same moment (a check's round, a look-ahead) go to the box as one batch on
 * a long-lived remote shell. A few shells at most, so a slow batch does not hold up the next one: the
 * first takes the steps' batches, the others the look-ahead's, each batch on whichever of them is idle.
 */
import type { BatchCommand, FramedResult } from './batch-script.js';
import type { ChannelRun } from './exec.js';
import type { RemoteShell } from './remote-shell.js';

/** The failure of a command the pool could not run at all: the caller runs it on an exec channel instead. */
export const SHELL_UNAVAILABLE = 'shell-unavailable';

interface Queued {
  command: BatchCommand;
  timeoutMs: number;
  /** Look-ahead commands batch apart, so a slow probe ahead never holds up the step's own answers. */
  early: boolean;
  settle: (run: ChannelRun) => void;
}

/** Commands per batch; more wait for the next one. */
const MAX_BATCH = 32;
/** Extra time a batch gets beyond its slowest command's limit before the shell is given up on. */
const BATCH_MARGIN_MS = 5000;
/** How long closing waits for a shell that is still logging in. */
const CLOSE_WAIT_MS = 5000;

export class ShellPool {
  private readonly shells: RemoteShell[] = [];
  /** Shells being opened (a login on the box is under way). */
  private readonly opening = new Set<Promise<void>>();
  private queue: Queued[] = [];
  private scheduled = false;
  private broken: string | undefined;
  /** A shell beyond the first could not open: no more are tried, and without one the look-ahead shares the first. */
  private cannotGrow = false;

  /** `open` starts one shell (taking a channel slot for its life), or says why it could not. */
  constructor(
    private readonly open: () => Promise<RemoteShell | { failure: string }>,
    private readonly maxShells: number,
    warm?: RemoteShell,
  ) {
    if (warm) this.shells.push(warm);
  }

  /** A shell that started opening before the pool (beside the login's), counted as one being opened. */
  adopt(opening: Promise<RemoteShell | { failure: string }>): void {
    if (this.shells.length + this.opening.size >= this.maxShells) {
      void opening.then((shell) => !('failure' in shell) && shell.close());
      return;
    }
    void this.grow(opening);
  }

  /** Opens shells now, up to `count`, so the first batches do not wait for a login on the box. */
  prepare(count: number): void {
    while (this.broken === undefined && this.shells.length + this.opening.size < Math.min(count, this.maxShells)) void this.grow();
  }

  /** Queues the command for the next batch; settles with its result, or SHELL_UNAVAILABLE. */
  run(command: BatchCommand, timeoutMs: number, signal?: AbortSignal, early = false): Promise<ChannelRun> {
    if (this.broken !== undefined) return Promise.resolve({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
    return new Promise((resolve) => {
      let settled = false;
      const settle = (run: ChannelRun) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.queue = this.queue.filter((q) => q !== entry);
        resolve(run);
      };
      // The box kills it a second later (timeout -s KILL); the caller hears now.
      const timer = setTimeout(() => settle({ stdout: '', stderr: '', code: null, failure: 'timeout' }), timeoutMs);
      const onAbort = () => settle({ stdout: '', stderr: '', code: null, failure: 'aborted' });
      const entry: Queued = { command, timeoutMs, early, settle };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(entry);
      this.schedule();
    });
  }

  /** Look-ahead commands not sent yet that a step now needs go with the steps' batches from now on. */
  promote(command: Pick<BatchCommand, 'argv' | 'stdin'>): void {
    const same = (q: Queued) => q.early && q.command.stdin === command.stdin && q.command.argv.length === command.argv.length && q.command.argv.every((word, i) => word === command.argv[i]);
    const waiting = this.queue.filter(same);
    if (!waiting.length) return;
    for (const queued of waiting) queued.early = false;
    this.schedule();
  }

  /** Waits a turn of the event loop so every command asked for now joins the same batch. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    for (let i = this.shells.length - 1; i >= 0; i--) if (!this.shells[i]?.alive) this.shells.splice(i, 1);
    if (this.queue.some((q) => !q.early)) {
      const first = this.shells[0];
      if (!first && this.opening.size === 0) void this.grow();
      if (first?.idle) this.dispatch(first, false);
    }
    if (this.queue.some((q) => q.early)) {
      const shell = this.aheadShell();
      if (shell?.idle) this.dispatch(shell, true);
    }
  }

  /**
   * The shell for the next look-ahead batch: an idle one beyond the first, so a look-ahead never takes the
   * shell a step is about to need, nor waits behind a slow look-ahead batch. Another opens while all are
   * busy and there is room (a host that never looks ahead logs in once); with none beyond the first to be
   * had, the look-ahead shares the first.
   */
  private aheadShell(): RemoteShell | undefined {
    const others = this.shells.slice(1);
    if (this.maxShells <= 1 || (this.cannotGrow && !others.length)) return this.shells[0];
    const idle = others.find((shell) => shell.idle);
    if (idle) return idle;
    if (!this.cannotGrow && this.shells.length + this.opening.size < this.maxShells) void this.grow();
    return undefined;
  }

  private dispatch(shell: RemoteShell, early: boolean): void {
    const batch = this.queue.filter((q) => q.early === early).slice(0, MAX_BATCH);
    this.queue = this.queue.filter((q) => !batch.includes(q));
    const limit = Math.max(...batch.map((q) => q.timeoutMs)) + BATCH_MARGIN_MS;
    // Each command is answered as it ends: a slow one in the batch holds up none of the others.
    const answer = (queued: Queued | undefined, result: FramedResult) => {
      if (result.code === null) queued?.settle({ ...result, failure: 'the command ended with no exit status' });
      else queued?.settle(result);
    };
    void shell
      .run(
        batch.map((q) => q.command),
        limit,
        (i, result) => answer(batch[i], result),
      )
      .then((ended) => {
        // A lost shell: the commands not answered yet run again elsewhere, so the caller's own fallback decides.
        if (!('results' in ended)) for (const queued of batch) queued.settle({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
        this.flush();
      });
  }

  private grow(started: Promise<RemoteShell | { failure: string }> = this.open()): Promise<void> {
    const opening = started.then((opened) => {
      this.opening.delete(opening);
      if ('failure' in opened) {
        if (this.opening.size === 0 && !this.shells.some((s) => s.alive)) {
          this.broken ??= opened.failure;
          for (const queued of this.queue.splice(0)) queued.settle({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
        } else {
          this.cannotGrow = true;
          this.flush();
        }
        return;
      }
      if (this.broken !== undefined) return opened.close();
      this.shells.push(opened);
      this.flush();
    });
    this.opening.add(opening);
    return opening;
  }

  /**
   * Ends the shells. A shell still logging in is waited for (a few seconds at most): cut off there,
   * a login script can leave the box in a state of its own (a lock file it never removes).
   */
  async close(): Promise<void> {
    this.broken = 'closed';
    for (const queued of this.queue.splice(0)) queued.settle({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    });
    await Promise.race([Promise.allSettled([...this.opening]), limit]);
    clearTimeout(timer);
    for (const shell of this.shells.splice(0)) shell.close();
  }
}
