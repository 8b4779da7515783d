import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { CONFIG_READ_SCRIPT } from './config-read-script.js';
import { configReadCommand, flagValue } from './config-read.js';

/**
 * What nginx.find's second round asks (`nginx -V`, the master's cgroup, the config read), asked in the first
 * round already, when the box runs one nginx master: the script finds it in `ps` itself, so the login carries
 * it and nginx.find needs no second round trip. For the master it prints, each between marker lines:
 * `meta` (PID, binary, -p, -c, one a line, as it took them from the process title), `version` (nginx -V's
 * output), `cgroup`, `out`/`err`/`code` (the config read's, without its nginx -T fallback: BGW_READ_ONLY).
 * The caller uses a master's sections only when PID, binary, -p and -c are the ones it worked out itself
 * (probeFor); otherwise it asks as before. The read script travels as an argument, never inside this one.
 */
export const PROBE_SCRIPT = [
  'read_script=$1',
  't=$(mktemp -d 2>/dev/null) || exit 3',
  'trap \'rm -rf "$t"\' EXIT',
  // Marked, not counted: a recording redacts secrets inside the sections, which changes their lengths.
  'section() { printf "@@bgw-probe %s\\n" "$1"; cat "$2"; printf "\\n@@bgw-probe-end %s\\n" "$1"; }',
  // Only the usual box, with one nginx: with several, nginx.find picks by the URL's port and asks then.
  'ps -eo pid=,args= 2>/dev/null | grep "^ *[0-9][0-9]* nginx: master process " > "$t/ps"',
  '[ "$(wc -l < "$t/ps")" -eq 1 ] || exit 0',
  'while read -r pid title; do',
  '  case $title in "nginx: master process "*) ;; *) continue;; esac',
  '  set -f; set -- ${title#nginx: master process }; set +f',
  '  bin=$1; [ $# -gt 0 ] && shift; case $bin in /*) ;; *) bin=nginx;; esac',
  '  p=; c=',
  '  while [ $# -gt 0 ]; do',
  '    case $1 in -p) p=${2-}; [ $# -gt 1 ] && shift;; -p*) p=${1#-p};; -c) c=${2-}; [ $# -gt 1 ] && shift;; -c*) c=${1#-c};; esac',
  '    shift',
  '  done',
  '  printf "%s\\n%s\\n%s\\n%s\\n" "$pid" "$bin" "$p" "$c" > "$t/meta"',
  '  "$bin" -V > "$t/version" 2>&1',
  '  cat "/proc/$pid/cgroup" > "$t/cgroup" 2>/dev/null',
  '  BGW_READ_ONLY=1 sh -c "$read_script" sh "$bin" "$pid" "$p" "$c" > "$t/out" 2> "$t/err" < /dev/null; echo $? > "$t/code"',
  '  for part in meta version cgroup out err code; do section "$part" "$t/$part"; done',
  'done < "$t/ps"',
].join('\n');

export const NGINX_PROBE: CommandSpec = { argv: ['sh', '-c', PROBE_SCRIPT, 'sh', CONFIG_READ_SCRIPT], timeoutMs: 20_000 };

export const isNginxProbe = (argv: readonly string[]): boolean => argv[0] === 'sh' && argv[2] === PROBE_SCRIPT;

/** One section of the probe's stdout, as its `section` function prints it. */
export const probeSection = (name: string, text: string): string => `@@bgw-probe ${name}\n${text}\n@@bgw-probe-end ${name}\n`;

/** One master's answers, shaped as the commands nginx.find and nginx.config would have run. */
export interface ProbedMaster {
  pid: number;
  binary: string;
  prefix: string;
  conf: string;
  /** `nginx -V`, as that command's result (nginx writes it on stderr). */
  version: CommandResult;
  cgroup: CommandResult;
  /** The config read, as configReadCommand(binary, pid, args) would have answered when it needed no nginx -T. */
  read: (args: readonly string[]) => CommandResult;
  /** False when the read would have handed over to nginx -T. */
  readDone: boolean;
}

/** The last probe parsed: nginx.find and nginx.config each ask, and its config read can be megabytes. */
let lastProbe: { run: CommandResult; masters: ProbedMaster[] } | null = null;

/** The marked sections, per master, of the probe's stdout. */
export function parseProbe(run: CommandResult | undefined): ProbedMaster[] {
  if (run?.code !== 0) return [];
  // The same text (a copy of the result holds the same string: comparing it is comparing a pointer).
  if (lastProbe && lastProbe.run.stdout === run.stdout && lastProbe.run.ms === run.ms) return lastProbe.masters;
  const masters = parseSections(run);
  lastProbe = { run, masters };
  return masters;
}

/**
 * A probe's result made of its sections, as the box would have printed them (a kept read's: config-read-cache.ts).
 * Its stdout is joined without a copy, and parseProbe() takes the sections as they are: on 20,000 vhosts they
 * are 11 MB that would otherwise be copied once and searched again.
 */
export function probeOfSections(run: CommandResult, sections: readonly { name: string; text: string }[]): CommandResult {
  // `+` makes a rope of the parts; join('') would copy them into one string.
  let stdout = '';
  for (const { name, text } of sections) stdout = stdout + probeSection(name, text);
  const result: CommandResult = { ...run, stdout };
  if (run.code === 0) lastProbe = { run: result, masters: mastersOf(sections, run.ms) };
  return result;
}

function parseSections(run: CommandResult): ProbedMaster[] {
  const text = run.stdout;
  const sections: { name: string; text: string }[] = [];
  let at = 0;
  for (;;) {
    const start = /^@@bgw-probe (\w+)\n/m;
    const found = start.exec(text.slice(at));
    if (!found) break;
    const name = found[1]!;
    const from = at + found.index + found[0].length;
    const end = text.indexOf(`\n@@bgw-probe-end ${name}\n`, from);
    if (end === -1) break;
    sections.push({ name, text: text.slice(from, end) });
    at = end + `\n@@bgw-probe-end ${name}\n`.length;
  }
  return mastersOf(sections, run.ms);
}

/** The masters of a probe's sections: each master's sections end with its `code`. */
function mastersOf(sections: readonly { name: string; text: string }[], ms: number): ProbedMaster[] {
  const masters: ProbedMaster[] = [];
  let parts: Record<string, string> = {};
  for (const { name, text } of sections) {
    parts[name] = text;
    if (name !== 'code') continue;
    masters.push(masterOf(parts, ms));
    parts = {};
  }
  return masters;
}

function masterOf(parts: Record<string, string>, ms: number): ProbedMaster {
  const [pid = '', binary = '', prefix = '', conf = ''] = (parts.meta ?? '').split('\n');
  const { version = '', cgroup = '', out = '', err = '' } = parts;
  const code = Number(parts.code?.trim());
  return {
    pid: Number(pid),
    binary,
    prefix,
    conf,
    version: { argv: [binary, '-V'], stdout: '', stderr: version, code: /^nginx version:/m.test(version) ? 0 : 1, ms },
    cgroup: { argv: ['cat', `/proc/${pid}/cgroup`], stdout: cgroup, stderr: '', code: cgroup ? 0 : 1, ms },
    read: (args) => ({ argv: configReadCommand(binary, Number(pid), args).argv, stdout: out, stderr: err, code, ms }),
    readDone: code === 0,
  };
}

/** This master's answers from the probe, when it took the master as the caller did (PID, binary, -p, -c). */
export function probeFor(run: CommandResult | undefined, master: { pid: number; binary: string; args: readonly string[] }): ProbedMaster | null {
  const found = parseProbe(run).find((m) => m.pid === master.pid);
  if (!found || found.binary !== master.binary) return null;
  return found.prefix === flagValue(master.args, 'p') && found.conf === flagValue(master.args, 'c') ? found : null;
}
