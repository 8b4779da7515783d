import { execFile, type ChildProcess } from 'node:child_process';
import type { CommandResult, CommandSpec, Host } from './host.js';
import { DEFAULT_TIMEOUT_MS } from './host.js';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Runs commands on this machine with argument arrays: no shell ever parses them. */
export class LocalHost implements Host {
  readonly label = 'local';
  /** Look-ahead commands still running: nobody waits for them once the session is over. */
  private readonly ahead = new Set<ChildProcess>();

  run(command: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
    const started = performance.now();
    const [program, ...args] = command.argv;
    if (!program) throw new Error('empty command');
    // nginx, ss and friends live in sbin, which a normal user's PATH often lacks.
    const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:${SYSTEM_PATH}`, LC_ALL: 'C' };
    return new Promise((resolve) => {
      const child = execFile(
        program,
        args,
        {
          env,
          timeout: command.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          killSignal: 'SIGKILL',
          maxBuffer: 32 * 1024 * 1024,
          signal,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          const ms = Math.round(performance.now() - started);
          const base = { argv: command.argv, stdout: String(stdout), stderr: String(stderr), ms };
          if (!error) return resolve({ ...base, code: 0 });
          const err = error as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
          if (err.code === 'ENOENT') return resolve({ ...base, code: null, failure: 'not-found' });
          if (err.name === 'AbortError') return resolve({ ...base, code: null, failure: 'aborted' });
          if (err.killed) return resolve({ ...base, code: null, failure: 'timeout' });
          if (typeof err.code === 'number') return resolve({ ...base, code: err.code });
          resolve({ ...base, code: null, failure: String(err.code ?? err.message) });
        },
      );
      // A command may end without reading its input (EPIPE): its exit status says what happened, not the pipe.
      child.stdin?.on('error', () => {});
      if (command.stdin !== undefined) child.stdin?.end(command.stdin);
      else child.stdin?.end();
      if (command.early) {
        this.ahead.add(child);
        child.once('exit', () => this.ahead.delete(child));
      }
    });
  }

  /** Stops the look-ahead's commands still running (they only read), so leaving does not wait for them. */
  async close(): Promise<void> {
    for (const child of this.ahead) child.kill('SIGKILL');
    this.ahead.clear();
  }
}
