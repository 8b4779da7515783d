/**
 * Commands asked for at the same moment (a check's round, a look-ahead) go to the box as one batch on
 * a long-lived remote shell. A few shells at most, so a slow batch does not hold up the next one.
 */
import type { BatchCommand } from './batch-script.js';
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

export class ShellPool {
  private readonly shells: RemoteShell[] = [];
  private opening = 0;
  private queue: Queued[] = [];
  private scheduled = false;
  private broken: string | undefined;

  /** `open` starts one shell (taking a channel slot for its life), or says why it could not. */
  constructor(
    private readonly open: () => Promise<RemoteShell | { failure: string }>,
    private readonly maxShells: number,
    warm?: RemoteShell,
  ) {
    if (warm) this.shells.push(warm);
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
    if (!this.queue.length) return;
    const shell = this.shells.find((s) => s.idle);
    if (!shell) {
      for (let i = this.shells.length - 1; i >= 0; i--) if (!this.shells[i]?.alive) this.shells.splice(i, 1);
      if (this.shells.length + this.opening < this.maxShells && this.opening === 0) void this.grow();
      return;
    }
    const lane = (this.queue[0] as Queued).early;
    const batch = this.queue.filter((q) => q.early === lane).slice(0, MAX_BATCH);
    this.queue = this.queue.filter((q) => !batch.includes(q));
    const limit = Math.max(...batch.map((q) => q.timeoutMs)) + BATCH_MARGIN_MS;
    void shell.run(batch.map((q) => q.command), limit).then((answer) => {
      batch.forEach((queued, i) => {
        const result = 'results' in answer ? answer.results[i] : undefined;
        // A lost shell: the commands run again elsewhere, so the caller's own fallback decides.
        if (!result) return queued.settle({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
        if (result.code === null) return queued.settle({ ...result, failure: 'the command ended with no exit status' });
        queued.settle(result);
      });
      this.flush();
    });
    if (this.queue.length) this.flush();
  }

  private async grow(): Promise<void> {
    this.opening++;
    const opened = await this.open().finally(() => this.opening--);
    if ('failure' in opened) {
      if (!this.shells.some((s) => s.alive)) {
        this.broken = opened.failure;
        for (const queued of this.queue.splice(0)) queued.settle({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
      }
      return;
    }
    this.shells.push(opened);
    this.flush();
  }

  close(): void {
    this.broken = 'closed';
    for (const shell of this.shells.splice(0)) shell.close();
    for (const queued of this.queue.splice(0)) queued.settle({ stdout: '', stderr: '', code: null, failure: SHELL_UNAVAILABLE });
  }
}
