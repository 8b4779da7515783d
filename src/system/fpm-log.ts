import { lineTime } from './backend-logs.js';

/**
 * php-fpm's own warning that a pool ran out of children, from its global error_log:
 *   [06-Dec-2026 10:02:01] WARNING: [pool www] server reached pm.max_children setting (2), consider raising it
 * php-fpm writes it once each time the pool hits the limit (pm = dynamic or ondemand; a static pool never does).
 */
export interface MaxChildrenWarning {
  pool: string;
  limit: number;
  /** Naive time of the line; null when it has no stamp php-fpm would write. */
  time: number | null;
  line: string;
}

export function maxChildrenWarnings(text: string, year: number): MaxChildrenWarning[] {
  const out: MaxChildrenWarning[] = [];
  for (const line of text.split('\n')) {
    const m = /WARNING: \[pool ([^\]]+)\] server reached (?:pm\.)?max_children setting \((\d+)\)/.exec(line);
    if (m) out.push({ pool: m[1] as string, limit: Number(m[2]), time: lineTime(line, year), line: line.trimEnd() });
  }
  return out;
}

/** `cat /proc/meminfo`: MemAvailable in kB (what new processes can have without swapping), or null. */
export function memAvailableKb(meminfo: string): number | null {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo);
  return m ? Number(m[1]) : null;
}

/** `ps -eo rss=,args=`: the resident memory (kB) of each child of a pool ("php-fpm: pool www"). */
export function poolWorkerRss(ps: string, pool: string): number[] {
  const out: number[] = [];
  for (const line of ps.split('\n')) {
    const m = /^\s*(\d+)\s+php-fpm: pool (\S+)\s*$/.exec(line);
    if (m && m[2] === pool) out.push(Number(m[1]));
  }
  return out;
}

/**
 * How many children the pool can have: twice the limit it hit, but no more than the memory available
 * now holds at the children's average size (keeping a fifth of it free), and never fewer than one more.
 */
export function suggestMaxChildren(limit: number, rssKb: readonly number[], availableKb: number | null): number {
  const doubled = limit * 2;
  if (!rssKb.length || availableKb === null) return doubled;
  const average = rssKb.reduce((a, b) => a + b, 0) / rssKb.length;
  const room = Math.floor((availableKb * 0.8) / Math.max(average, 1));
  return Math.max(limit + 1, Math.min(doubled, limit + room));
}
