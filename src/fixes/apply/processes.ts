/**
 * Processes on the box during an apply: waiting for a stopped process to be gone, finding the php-fpm
 * master a start created, restarting a backend so it reads its restored config again.
 */
import { parsePs } from '../../system/ps.js';
import { phpFpmMasters } from '../../system/php-fpm.js';
import type { Box } from './box.js';
import { said } from './box.js';
import type { BackendHandles } from './record.js';

const PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (up to 10 s) until a process is gone (a zombie counts as gone). */
export async function waitGone(box: Box, pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 200 && Date.now() < deadline; attempt++) {
    const r = await box.run({ argv: ['ps', '-o', 'stat=', '-p', String(pid)] });
    if (r.code !== 0 || r.stdout.trim().startsWith('Z') || r.stdout.trim() === '') return true;
    await sleep(100);
  }
  return false;
}

/** The php-fpm master running this main config, waiting up to `timeoutMs` for it to appear. */
export async function fpmMaster(box: Box, conf: string, timeoutMs = 3_000): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 60; attempt++) {
    const r = await box.run({ argv: PS });
    const master = r.code === 0 ? phpFpmMasters(parsePs(r.stdout)).find((m) => m.conf === conf) : undefined;
    if (master) return master.pid;
    if (Date.now() >= deadline) return null;
    await sleep(100);
  }
  return null;
}

export interface Step {
  command: string[];
  ok: boolean;
  said: string;
}

/**
 * Restarts the backend so it applies its config again: its manager's restart, or for a php-fpm started
 * by hand a graceful stop of the master that runs now and a start. Nothing when it is not running.
 */
export async function restartBackend(box: Box, backend: BackendHandles): Promise<Step[]> {
  const run = async (argv: string[]): Promise<Step> => {
    const r = await box.run({ argv, timeoutMs: 60_000 });
    return { command: argv, ok: r.code === 0, said: r.code === 0 ? 'done' : said(r) };
  };
  if (backend.restart.length) return [await run(backend.restart)];
  if (backend.fpmConf && backend.start.length) {
    const pid = await fpmMaster(box, backend.fpmConf, 0);
    if (pid === null) return [];
    const stop = await run(['kill', '-QUIT', '--', String(pid)]);
    if (!stop.ok) return [stop];
    await waitGone(box, pid);
    return [stop, await run(backend.start)];
  }
  if (backend.stop.length && backend.start.length) {
    const stop = await run(backend.stop);
    return stop.ok ? [stop, await run(backend.start)] : [stop];
  }
  return [];
}
