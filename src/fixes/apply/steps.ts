/**
 * The apply's step boundaries, made observable: each step is announced before it starts (to the UI and
 * the --json step log on stderr), and BADGATEWAY_PAUSE_AT=<step>[,<step>...] holds the apply at those
 * boundaries for a while, so a test can kill it exactly there. An interrupt (Ctrl-C, SIGTERM) ends a pause
 * at once, except in a rollback: nothing interrupts a rollback, so its pauses always last.
 */
import { say } from '../../shell/stderr.js';

export const PAUSE_ENV = 'BADGATEWAY_PAUSE_AT';
/** How long the pause lasts (ms) when nothing interrupts it; default 30 s. */
export const PAUSE_MS_ENV = 'BADGATEWAY_PAUSE_MS';

function pauseMs(): number {
  const ms = Number(process.env[PAUSE_MS_ENV]);
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 120_000) : 30_000;
}

export interface ApplyEvent {
  step: string;
  /** 'start': the step begins; 'ok' / 'fail': how it ended; 'info': a line to show. */
  status: 'start' | 'ok' | 'fail' | 'info';
  text: string;
}

export type EventSink = (event: ApplyEvent) => void;

/** Announces steps and honours the pause; aborted() tells the apply to stop at the next boundary. */
export class StepGate {
  constructor(
    private readonly sink: EventSink,
    private readonly signal: AbortSignal | undefined,
    private readonly pauseAt: string[] = (process.env[PAUSE_ENV] ?? '').split(','),
  ) {}

  get aborted(): boolean {
    return this.signal?.aborted ?? false;
  }

  tell(step: string, status: ApplyEvent['status'], text: string): void {
    this.sink({ step, status, text });
  }

  /** The boundary before `step`: announce it, and hold here when asked to. */
  async enter(step: string, text: string): Promise<void> {
    this.sink({ step, status: 'start', text });
    const interruptible = !step.startsWith('rollback');
    if (!step || !this.pauseAt.includes(step) || (interruptible && this.aborted)) return;
    this.sink({ step, status: 'info', text: `paused at ${step} (${PAUSE_ENV})` });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pauseMs());
      function done() {
        clearTimeout(timer);
        resolve();
      }
      if (interruptible) this.signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** The step log on stderr, one line per event: what --json prints while it applies. */
export function stderrSink(event: ApplyEvent): void {
  const mark = event.status === 'start' ? '>' : event.status === 'ok' ? 'ok' : event.status === 'fail' ? 'FAILED' : '-';
  say(`apply ${event.step} ${mark} ${event.text.replace(/\s*\n\s*/g, ' ')}`);
}
