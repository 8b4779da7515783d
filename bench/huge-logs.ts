import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, truncateSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/integration/lab/ports.js';
import { BenchLab } from './lab.js';
import { cli, median, reportOf, timed } from './measure.js';

/**
 * badgateway --json --url on a real broken nginx (backend-down) whose error log is 1 MiB, then 2 GiB.
 * Peak memory is the max RSS of the badgateway node process as GNU time reports it (`/usr/bin/time -f %M`:
 * the largest of node and the children it waited for, which are all small: tail, stat, curl).
 */
export interface LogSize {
  label: string;
  bytes: number;
  ms: number;
  maxRssKb: number;
  cause: string | null;
}

export type HugeLogResult = { small: LogSize; huge: LogSize; timeRatio: number; memoryRatio: number } | { skipped: string };

const MiB = 1024 * 1024;
const HUGE = 2 * 1024 * MiB;
const NEEDED_FREE = 5 * 1024 * MiB;

/** Sends failing requests until nginx's error log holds at least `bytes` (nginx writes every line itself). */
async function fillWithRequests(url: string, log: string, bytes: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const once = () =>
    new Promise<void>((resolve) => {
      const request = get(url, { agent, timeout: 5000 }, (response) => {
        response.resume();
        response.on('end', () => resolve());
      });
      request.on('error', () => resolve());
      request.on('timeout', () => request.destroy());
    });
  const deadline = Date.now() + 60_000;
  try {
    for (let batch = 0; batch < 2000 && Date.now() < deadline; batch++) {
      if (statSync(log).size >= bytes) return;
      await Promise.all(Array.from({ length: 32 }, once));
    }
    throw new Error(`nginx wrote less than ${bytes} bytes to ${log} in time`);
  } finally {
    agent.destroy();
  }
}

async function measure(label: string, url: string, log: string, reps: number, dir: string): Promise<LogSize> {
  const runs: { ms: number; rss: number; cause: string | null }[] = [];
  for (let i = 0; i < reps; i++) {
    const rssFile = join(dir, `rss-${label}-${i}`);
    const run = await timed(['/usr/bin/time', '-f', '%M', '-o', rssFile, process.execPath, cli(), '--json', '--url', url], { timeoutMs: 180_000 });
    runs.push({ ms: run.ms, rss: Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)), cause: reportOf(run).diagnosis?.cause ?? null });
  }
  const causes = [...new Set(runs.map((r) => r.cause))];
  return { label, bytes: statSync(log).size, ms: median(runs.map((r) => r.ms)), maxRssKb: median(runs.map((r) => r.rss)), cause: causes.join(' / ') };
}

/** Makes `path` `size` bytes of allocated space (fallocate; truncate where the filesystem cannot). */
function allocate(path: string, size: number): void {
  try {
    execFileSync('fallocate', ['-l', String(size), '--', path], { stdio: 'pipe' });
  } catch {
    execFileSync('truncate', ['-s', String(size), '--', path], { stdio: 'pipe' });
  }
}

export async function hugeLogs(options: { reps: number; log?: (line: string) => void }): Promise<HugeLogResult> {
  const log = options.log ?? (() => {});
  const free = statfsSync(tmpdir());
  const freeBytes = free.bavail * free.bsize;
  if (freeBytes < NEEDED_FREE) return { skipped: `only ${(freeBytes / 1024 / MiB).toFixed(1)} GiB free in ${tmpdir()}; the 2 GiB log needs 5 GiB free` };
  const lab = new BenchLab();
  const scratch = mkdtempSync(join(tmpdir(), 'bgw-bench-rss-'));
  lab.later(() => rmSync(scratch, { recursive: true, force: true }));
  try {
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    await fillWithRequests(url, site.errorLog, MiB);
    log(`  error log filled by nginx: ${statSync(site.errorLog).size} bytes`);
    const small = await measure('1 MiB', url, site.errorLog, options.reps, scratch);

    // The same real lines at the end of 2 GiB, in the file nginx has open (its workers append with
    // O_APPEND, so no reopen is needed): emptied, allocated to 2 GiB less those lines, the lines again,
    // then one more failing request that nginx itself appends.
    const lines = readFileSync(site.errorLog);
    truncateSync(site.errorLog, 0);
    allocate(site.errorLog, HUGE - lines.length);
    appendFileSync(site.errorLog, lines);
    await fillWithRequests(url, site.errorLog, HUGE + 1);
    log(`  error log grown to ${statSync(site.errorLog).size} bytes (nginx appends to it)`);
    const huge = await measure('2 GiB', url, site.errorLog, options.reps, scratch);
    rmSync(site.errorLog, { force: true });
    return { small, huge, timeRatio: huge.ms / small.ms, memoryRatio: huge.maxRssKb / small.maxRssKb };
  } finally {
    await lab.cleanup();
  }
}
