import type { ProcessInfo } from '../facts/keys.js';

/**
 * Processes from `ps -eo pid=,ppid=,user:32=,args=`: right-aligned pid and ppid, the user padded to
 * 32 columns, then the command line with its arguments joined by single spaces (so an argument's own
 * spaces cannot be told apart from separators). Kernel threads show as "[kthreadd]".
 * A user name longer than the column is printed as its numeric uid by procps.
 */
export function parsePs(stdout: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const raw of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)(?:\s+(.*))?$/.exec(raw.trimEnd());
    if (!m) continue;
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3]!, args: m[4] ?? '' });
  }
  return out;
}

export interface NginxMaster {
  pid: number;
  /** The -c, -p, -e and -g options it was started with, as separate argv words, e.g. ['-c', '/x.conf']. */
  args: string[];
  /** The binary when the title shows an absolute path; null for "nginx" found on PATH or "./nginx". */
  binary: string | null;
}

const MASTER_TITLE = 'nginx: master process ';
/** Options of nginx that take a value (c: config, p: prefix, e: error log, g: directives, s: signal). */
const VALUE_OPTIONS = new Set(['c', 'p', 'e', 'g', 's']);
/** Options that stand alone; several may share one dash ("-tq"). */
const FLAG_OPTIONS = new Set(['?', 'h', 'v', 'V', 't', 'T', 'q']);

function isOptionWord(word: string): boolean {
  if (!word.startsWith('-') || word.length < 2) return false;
  const letters = word.slice(1);
  for (const ch of letters) {
    if (VALUE_OPTIONS.has(ch)) return true;
    if (!FLAG_OPTIONS.has(ch)) return false;
  }
  return true;
}

/**
 * The options of a master's title. nginx joined its argv with spaces, so a -g value runs up to the
 * next word that is an nginx option or the end; -c, -p and -e values are taken as the next word
 * (paths with spaces are therefore cut short: nothing in the title can tell them apart). A value may
 * also be glued to its letter, as nginx allows: "-c/etc/nginx/nginx.conf".
 */
export function parseNginxMasterArgs(commandLine: string): string[] {
  const words = commandLine.split(' ').filter((w) => w !== '');
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!isOptionWord(word)) continue;
    const letters = word.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const ch = letters[j]!;
      if (!VALUE_OPTIONS.has(ch)) continue;
      let value = letters.slice(j + 1);
      if (value === '') {
        if (ch === 'g') {
          const parts: string[] = [];
          while (i + 1 < words.length && !isOptionWord(words[i + 1]!)) parts.push(words[++i]!);
          value = parts.join(' ');
        } else if (i + 1 < words.length) {
          value = words[++i]!;
        }
      }
      if (ch !== 's') out.push(`-${ch}`, value);
      break;
    }
  }
  return out;
}

export function nginxMasters(ps: ProcessInfo[]): NginxMaster[] {
  const masters: NginxMaster[] = [];
  for (const p of ps) {
    if (!p.args.startsWith(MASTER_TITLE)) continue;
    const commandLine = p.args.slice(MASTER_TITLE.length).trim();
    const first = commandLine.split(' ')[0] ?? '';
    masters.push({
      pid: p.pid,
      args: parseNginxMasterArgs(commandLine.slice(first.length)),
      binary: first.startsWith('/') ? first : null,
    });
  }
  return masters;
}

/**
 * The worker processes of one master ("nginx: worker process", also while "is shutting down" after a
 * reload). Cache manager and loader are not workers. Their `user` is the worker user.
 */
export function nginxWorkers(ps: ProcessInfo[], masterPid: number): ProcessInfo[] {
  return ps.filter((p) => p.ppid === masterPid && /^nginx: worker process( is shutting down)?$/.test(p.args.trim()));
}
