/**
 * A reload of nginx, never a restart, and the proof that it took: nginx answers a reload by starting
 * new workers with the new config (the old ones finish their requests and leave), so a worker PID that
 * was not there before proves it. A reload that fails leaves only the old workers, and the master says
 * why in its main error log.
 */
import { nginxMasters, nginxWorkers, parsePs } from '../../system/ps.js';
import { commandLine } from '../../shell/quote.js';
import type { Box } from './box.js';
import { said } from './box.js';
import type { NginxHandles } from './record.js';

const PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
const PROOF_WAIT_MS = 5_000;
const POLL_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The master to watch: the one with this PID if it still runs, else the one started with the same -c/-p/-g. */
export function findMaster(psText: string, nginx: Pick<NginxHandles, 'masterPid' | 'args'>): number | null {
  const masters = nginxMasters(parsePs(psText));
  const byPid = masters.find((m) => m.pid === nginx.masterPid);
  if (byPid) return byPid.pid;
  const key = nginx.args.join('\0');
  return (masters.find((m) => m.args.join('\0') === key) ?? (masters.length === 1 ? masters[0] : undefined))?.pid ?? null;
}

/** Workers that are taking requests (not the old ones shutting down). */
export function liveWorkers(psText: string, masterPid: number): number[] {
  return nginxWorkers(parsePs(psText), masterPid)
    .filter((w) => !/shutting down/.test(w.args))
    .map((w) => w.pid);
}

async function sizeOf(box: Box, path: string | null): Promise<number | null> {
  if (!path) return null;
  const r = await box.run({ argv: ['stat', '-c', '%s', '--', path] });
  const n = Number.parseInt(r.stdout.trim(), 10);
  return r.code === 0 && Number.isFinite(n) ? n : null;
}

/** What the master wrote to its main error log since `size`: the reason a reload failed. */
async function newLogLines(box: Box, path: string | null, size: number | null): Promise<string[]> {
  if (!path || size === null) return [];
  const r = await box.run({ argv: ['tail', '-c', `+${size + 1}`, '--', path] });
  return r.code === 0
    ? r.stdout
        .split('\n')
        .filter((l) => /\[(emerg|alert|crit|error)\]/.test(l))
        .slice(-3)
    : [];
}

export type Reloaded = { ok: true; command: string; proof: string; masterPid: number } | { ok: false; command: string; problem: string };

/** Reloads, then waits for the proof; `beforeProof` runs between the two (the apply's step boundary). */
export async function reloadWithProof(box: Box, nginx: NginxHandles, beforeProof?: () => Promise<void>): Promise<Reloaded> {
  const command = commandLine(nginx.reload, 'person');
  const ps = await box.must({ argv: PS }, 'listing processes');
  const master = findMaster(ps.stdout, nginx);
  if (master === null) return { ok: false, command, problem: 'no nginx master process runs: nothing to reload' };
  const before = new Set(nginxWorkers(parsePs(ps.stdout), master).map((w) => w.pid));
  const logSize = await sizeOf(box, nginx.mainErrorLog);
  const result = await box.run({ argv: nginx.reload, timeoutMs: 30_000 });
  if (result.code !== 0) return { ok: false, command, problem: `the reload command failed: ${said(result)}` };
  await beforeProof?.();
  const deadline = Date.now() + PROOF_WAIT_MS;
  for (let attempt = 0; attempt < PROOF_WAIT_MS / POLL_MS + 5 && Date.now() < deadline; attempt++) {
    await sleep(POLL_MS);
    const now = await box.run({ argv: PS });
    if (now.code !== 0) continue;
    if (findMaster(now.stdout, { masterPid: master, args: nginx.args }) !== master) return { ok: false, command, problem: `the nginx master (pid ${master}) is gone after the reload` };
    const fresh = liveWorkers(now.stdout, master).filter((pid) => !before.has(pid));
    if (fresh.length) {
      return {
        ok: true,
        command,
        masterPid: master,
        proof: `master ${master} started new workers (${fresh.join(', ')}); the old ones (${[...before].join(', ') || 'none'}) finish their requests and exit`,
      };
    }
  }
  const why = await newLogLines(box, nginx.mainErrorLog, logSize);
  return { ok: false, command, problem: `no new nginx worker within ${PROOF_WAIT_MS / 1000} s: the reload did not take${why.length ? ` (${nginx.mainErrorLog}: ${why.join(' | ')})` : ''}` };
}
