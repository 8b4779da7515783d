import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';

export interface Started {
  pid: number;
  stop: () => Promise<void>;
  output: () => string;
}

/** Starts a program we own; stop() ends exactly that PID (and its process group). */
export function start(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  const child: ChildProcess = spawn(program, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!child.pid) throw new Error(`could not start ${program}`);
  const pid = child.pid;
  return {
    pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until something accepts TCP connections at host:port. */
export async function waitForPort(host: string, port: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 200 && Date.now() < deadline; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${what} did not start listening on ${host}:${port} within ${timeoutMs} ms`);
}

/** Waits (bounded) until a path exists. */
export async function waitForPath(path: string, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 200 && Date.now() < deadline; attempt++) {
    if (existsSync(path)) return;
    await sleep(50);
  }
  throw new Error(`${what} did not create ${path} within ${timeoutMs} ms`);
}
