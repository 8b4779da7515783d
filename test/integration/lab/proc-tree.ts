import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Every process of this PID namespace with its parent, read from /proc. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in parentheses may hold spaces: the fields after its last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(name), ppid);
    } catch {
      /* gone meanwhile */
    }
  }
  return map;
}

/** The processes under `root` (not itself), however deep. */
export function descendants(root: number): number[] {
  const map = parents();
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift() as number;
    for (const [child, parent] of map) if (parent === pid && !found.includes(child)) found.push(child), queue.push(child);
  }
  return found;
}

/** A process's PID namespace (its /proc/PID/ns/pid link), or null once it is gone. */
export function pidNamespace(pid: number | 'self'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** The processes still alive in a PID namespace. */
export function inNamespace(namespace: string): number[] {
  return [...parents().keys()].filter((pid) => pidNamespace(pid) === namespace);
}

/** The command line of a process, or '' once it is gone. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}
