import { spawn } from 'node:child_process';
import { childrenOf } from '../test/integration/lab/sshd.js';
import { cli, median } from './measure.js';

/**
 * First-frame time of the wizard in a real pseudo-terminal, against bare node printing one line, in the
 * same run. `script` (util-linux) gives the child a terminal; Ink prints nothing without TERM.
 */
export interface FirstFrame {
  runs: number;
  bareMs: number;
  wizardMs: number;
  ratio: number;
}

const TERMINAL_ENV = { TERM: 'xterm-256color', COLUMNS: '80', LINES: '24' };

/** Everything under pid, deepest first. */
function tree(pid: number): number[] {
  return [...childrenOf(pid).flatMap(tree), pid];
}

/** ms from spawning `script` to `marker` appearing on the terminal; then the whole tree is ended by PID. */
function timeToOutput(command: string, marker: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...TERMINAL_ENV } });
    let seen = '';
    let done = false;
    const finish = (error: Error | null, ms = 0) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const pid of child.pid ? tree(child.pid) : []) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
      if (error) reject(error);
      else resolve(ms);
    };
    const timer = setTimeout(() => finish(new Error(`"${marker}" did not appear within ${timeoutMs} ms of ${command}; the terminal showed: ${JSON.stringify(seen.slice(-400))}`)), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk;
      if (seen.includes(marker)) finish(null, performance.now() - started);
    });
    child.on('close', () => finish(new Error(`${command} ended before "${marker}" appeared; it showed: ${JSON.stringify(seen.slice(-400))}`)));
  });
}

/** Median of `runs` interleaved runs each: bare node, then the wizard (the marker is its first step's "Why now:"). */
export async function firstFrame(runs = 15): Promise<FirstFrame> {
  const bare: number[] = [];
  const wizard: number[] = [];
  // One of each first, unmeasured: the file cache holds node and the bundle for every measured run.
  await timeToOutput(`node -e 'console.log("bare-node-ready")'`, 'bare-node-ready');
  await timeToOutput(`node ${cli()}`, 'Why now:');
  for (let i = 0; i < runs; i++) {
    bare.push(await timeToOutput(`node -e 'console.log("bare-node-ready")'`, 'bare-node-ready'));
    wizard.push(await timeToOutput(`node ${cli()}`, 'Why now:'));
  }
  const [bareMs, wizardMs] = [median(bare), median(wizard)];
  return { runs, bareMs, wizardMs, ratio: wizardMs / bareMs };
}
