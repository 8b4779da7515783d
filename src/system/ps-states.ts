/**
 * Processes with their scheduler state, from `ps -eo pid=,ppid=,stat=,args=` (procps). STAT starts with
 * one letter: R running, S sleeping, D uninterruptible (waiting on a disk or a mount), T stopped by a
 * signal (SIGSTOP, Ctrl-Z), t stopped by a debugger, Z a zombie; the letters after it are flags
 * ("Ss", "Sl", "T<"). A stopped process still owns its sockets: the kernel completes connections to
 * it, and nothing ever reads them.
 */
export const PS_STATES = ['ps', '-eo', 'pid=,ppid=,stat=,args='];

export interface ProcessState {
  pid: number;
  ppid: number;
  /** The first letter of STAT: R, S, D, T, t, Z, I, X. */
  state: string;
  args: string;
}

export function parsePsStates(stdout: string): ProcessState[] {
  const out: ProcessState[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+([A-Za-z])\S*\s+(.*)$/.exec(line.trimEnd());
    if (m) out.push({ pid: Number(m[1]), ppid: Number(m[2]), state: m[3] as string, args: m[4] as string });
  }
  return out;
}

/** Stopped by a signal or a debugger: it will not run again until someone sends SIGCONT. */
export function isStopped(p: ProcessState): boolean {
  return p.state === 'T' || p.state === 't';
}

const STATE_WORDS: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'uninterruptible (waiting on I/O)',
  T: 'stopped',
  t: 'stopped by a debugger',
  Z: 'a zombie',
  I: 'idle',
};

export function stateWords(p: ProcessState): string {
  return STATE_WORDS[p.state] ?? p.state;
}
