import { type ChildProcess, spawn } from 'node:child_process';
import { commandLine } from '../../../src/shell/quote.js';

/** What a person at a terminal sees and types: a program on a pseudo-terminal made by util-linux's script(1). */
export interface Pty {
  /** The script(1) process; its child is the program. */
  pid: number;
  type: (text: string) => void;
  /** Waits (bounded) until the screen, controls stripped, matches; returns it. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  screen: () => string;
  exited: Promise<number | null>;
  kill: () => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONTROLS = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r/g;

export function openPty(argv: string[], env: NodeJS.ProcessEnv = process.env): Pty {
  const child: ChildProcess = spawn('script', ['-q', '-e', '-c', commandLine(argv), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, TERM: 'xterm' } });
  let seen = '';
  child.stdout?.on('data', (d) => (seen += d));
  child.stderr?.on('data', (d) => (seen += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const screen = () => seen.replace(CONTROLS, '');
  return {
    pid: child.pid as number,
    type: (text) => void child.stdin?.write(text),
    screen,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pattern.test(screen())) return screen();
        if (child.exitCode !== null) break;
        await sleep(100);
      }
      throw new Error(`the terminal never showed ${pattern} within ${timeoutMs} ms; it shows:\n${screen()}`);
    },
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
