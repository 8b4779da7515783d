/**
 * /proc/PID/limits: the resource limits a running process really has (what `ulimit` in a shell says is
 * only that shell's). Columns are aligned with spaces and names hold single spaces:
 *   "Max open files            1024                 524288               files     "
 */

export interface Limit {
  /** null: unlimited. */
  soft: number | null;
  hard: number | null;
  units: string;
}

const value = (text: string): number | null | undefined => (text === 'unlimited' ? null : /^\d+$/.test(text) ? Number(text) : undefined);

/** Every limit by its name ("Max open files"); {} for text that is not a limits table. */
export function parseProcLimits(text: string): Record<string, Limit> {
  const out: Record<string, Limit> = {};
  for (const line of text.split('\n')) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)\s*(\S*)\s*$/.exec(line);
    if (!m) continue;
    const soft = value(m[2] as string);
    const hard = value(m[3] as string);
    if (soft === undefined || hard === undefined) continue;
    out[m[1] as string] = { soft, hard, units: m[4] ?? '' };
  }
  return out;
}

/** The open-file limit (RLIMIT_NOFILE), or null when the text holds none. */
export function openFilesLimit(text: string): Limit | null {
  return parseProcLimits(text)['Max open files'] ?? null;
}

/** How many descriptors a process holds, from `ls -1 /proc/PID/fd` (one name per line). */
export function countFds(lsOutput: string): number {
  return lsOutput.split('\n').filter((l) => /^\d+$/.test(l.trim())).length;
}
