/** A time limit that stops counting while a person is being asked something (host key, passphrase). */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private remaining: number;
  private started = 0;
  private paused = 0;
  private done = false;

  constructor(
    ms: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = ms;
    this.arm();
  }

  private arm(): void {
    this.started = Date.now();
    this.timer = setTimeout(
      () => {
        this.done = true;
        this.onExpire();
      },
      Math.max(0, this.remaining),
    );
  }

  /** Runs `work` with the clock stopped (nested calls are fine). */
  async whilePaused<T>(work: () => Promise<T>): Promise<T> {
    if (this.paused++ === 0 && !this.done) {
      clearTimeout(this.timer);
      this.remaining -= Date.now() - this.started;
    }
    try {
      return await work();
    } finally {
      if (--this.paused === 0 && !this.done) this.arm();
    }
  }

  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
  }
}
