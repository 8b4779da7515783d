import { spawn } from 'node:child_process';
import { killTree } from '../test/integration/lab/sshd.js';
import { cli, median } from './measure.js';

/**
 * First-frame time of the wizard in a real pseudo-terminal, against bare node printing one line, in the
 * same run. `script` (util-linux) gives the child a terminal; Ink prints nothing without TERM.
 */
export interface FirstFrame {
  runs: number;
  bareMs: number;
  /** The wizard's first frame: the plain one drawn while Ink loads. */
  wizardMs: number;
  ratio: number;
  /** Ink's own first frame, which starts by erasing the plain one: what loading the UI costs. */
  inkMs: number;
  inkRatio: number;
}

/** Ink's first write begins by moving up over the plain frame and clearing below it. */
const INK_DREW = /\x1b\[\d+A\r\x1b\[J/;

const TERMINAL_ENV = { TERM: 'xterm-256color', COLUMNS: '80', LINES: '24' };

/** ms from spawning `script` until each marker appears on the terminal; then the whole tree is ended by PID. */
function timeToOutput(command: string, markers: readonly (string | RegExp)[], timeoutMs = 15_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...TERMINAL_ENV } });
    const at: (number | undefined)[] = markers.map(() => undefined);
    let seen = '';
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child.pid) killTree(child.pid);
      if (error) reject(error);
      else resolve(at as number[]);
    };
    const missing = () => markers.filter((_, i) => at[i] === undefined).join(', ');
    const timer = setTimeout(() => finish(new Error(`${missing()} did not appear within ${timeoutMs} ms of ${command}; the terminal showed: ${JSON.stringify(seen.slice(-400))}`)), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk;
      const now = performance.now() - started;
      markers.forEach((m, i) => {
        if (at[i] === undefined && (typeof m === 'string' ? seen.includes(m) : m.test(seen))) at[i] = now;
      });
      if (at.every((t) => t !== undefined)) finish(null);
    });
    child.on('close', () => finish(new Error(`${command} ended before ${missing()} appeared; it showed: ${JSON.stringify(seen.slice(-400))}`)));
  });
}

/**
 * Median of `runs` interleaved runs each: bare node, then the wizard (its first frame is the first step's
 * "Why now:"; Ink's own frame is the erase that begins it).
 */
export async function firstFrame(runs = 15): Promise<FirstFrame> {
  const bare: number[] = [];
  const wizard: number[] = [];
  const ink: number[] = [];
  const BARE = `node -e 'console.log("bare-node-ready")'`;
  // One of each first, unmeasured: the file cache holds node and the bundle for every measured run.
  await timeToOutput(BARE, ['bare-node-ready']);
  await timeToOutput(`node ${cli()}`, ['Why now:', INK_DREW]);
  for (let i = 0; i < runs; i++) {
    bare.push(...(await timeToOutput(BARE, ['bare-node-ready'])));
    const [plain, drawn] = await timeToOutput(`node ${cli()}`, ['Why now:', INK_DREW]);
    wizard.push(plain as number);
    ink.push(drawn as number);
  }
  const [bareMs, wizardMs, inkMs] = [median(bare), median(wizard), median(ink)];
  return { runs, bareMs, wizardMs, ratio: wizardMs / bareMs, inkMs, inkRatio: inkMs / bareMs };
}
