import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { CONFIG_READ_SCRIPT } from './config-read-script.js';
import { NGINX_PROBE, PROBE_SCRIPT, probeOfSections } from './nginx-probe.js';

/**
 * The config read kept between runs (issue 17): on a box with 20,000 vhosts, reading the files is most of
 * the login's wait. A run with a kept read sends, in place of the login probe (nginx-probe.ts), the same
 * probe with one change: before reading, the box checks that the kept read still stands, and then skips it.
 * It stands when the box says (a) the same master (PID, binary, -p, -c) with the same oldest child (its
 * start in clock ticks: a reload starts new workers), on the same boot (boot_id) and in the same mount
 * namespace (a container's nginx can share a PID and a start tick with another's), and (b) every file and
 * globbed folder the kept read names, and every link to one outside a globbed folder, changed before that
 * nginx loaded its config (the reader's own rule, FRESH). The text read
 * then was read after the load from files that have not changed since: it is still what nginx loaded. Any
 * doubt (a file changed, added to or removed from a globbed folder, a reload, a stat that fails, a kept
 * read that does not parse) runs the read as the plain probe does, in the same round trip.
 *
 * Nothing kept reaches a shell as code: the names travel on stdin (one a line, handed to stat and find
 * through xargs -0), the expected key is compared as a string.
 */

/** What is kept: the probe's read sections, and the key and names the check compares. */
export interface KeptRead {
  v: 1;
  /** The reader's own version: a changed script never trusts an old read. */
  reader: string;
  /** PID, binary, prefix, conf, start ticks, boot id, mount namespace: one a line, as the box printed them before it read. */
  key: string;
  /** The files outside a globbed folder and the globbed folders, one a line; then an empty line and the globbed folders again (keptNames). */
  names: string;
  out: string;
  err: string;
  /** Given when it is saved: what a digest of its config names it by (server-digest.ts). */
  id?: string;
}

/** The reader's version: a short hash of its script, so a change of it invalidates every kept read. */
export function readerVersion(hash: (text: string) => string): string {
  return hash(`${CONFIG_READ_SCRIPT}\n${PROBE_SCRIPT}\n${CHECK}`);
}

/**
 * On the box: `key` (stdout) of the master $pid; exit 0 only when nothing the read depended on changed after
 * the load (50 ms margin). The start of the oldest child is both the key's part and the load time (as LOADED
 * in config-read-script.ts). stdin is two lists, an empty line between them (keptNames): the names asked one
 * by one, each through its links (a file's or a link target's change) and as itself (a link pointed
 * elsewhere); then the globbed folders, whose every entry is asked through its links by find on the box. So
 * a box with 20,000 vhosts in sites-enabled/ is sent a few names, not 20,000.
 */
const CHECK = String.raw`
ticks=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v master="$pid" '$0 ~ /\)/ { sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == master && (min == "" || f[20] + 0 < min + 0)) min = f[20] } END { print min }')
[ -n "$ticks" ] || exit 1
boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null); mnt=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)
printf "%s\n%s\n%s\n%s\n%s\n%s\n%s\n" "$pid" "$bin" "$p" "$c" "$ticks" "$boot" "$mnt" > "$t/key"
[ -s "$t/names" ] || exit 1
read -r up _ < /proc/uptime; now=$(date +%s.%N); clk=$(getconf CLK_TCK)
loaded=$(awk -v now="$now" -v up="$up" -v clk="$clk" -v ticks="$ticks" 'BEGIN { printf "%.3f\n", now - up + ticks / clk }')
since=$(awk -v loaded="$loaded" 'BEGIN { if (loaded ~ /^[0-9]+\.[0-9]+$/) printf "%.3f\n", loaded - 0.05 }')
[ -n "$since" ] || exit 1
: > "$t/folders"
awk -v asked="$t/asked" -v folders="$t/folders" 'NF == 0 { mine = 1; next } { print > (mine ? folders : asked) }' "$t/names"
[ -s "$t/asked" ] || exit 1
for part in asked folders; do tr "\n" "\0" < "$t/$part" > "$t/$part.0"; done
xargs -0 -r -I{} find -L {} -mindepth 1 -maxdepth 1 -newerct "@$since" -print -quit < "$t/folders.0" > "$t/newer" 2>/dev/null & scan=$!
xargs -0 stat -L -c "%.9Z" < "$t/asked.0" > "$t/cl.follow" 2>/dev/null || exit 1
xargs -0 stat -c "%.9Z" < "$t/asked.0" > "$t/cl.own" 2>/dev/null || exit 1
wait "$scan" || exit 1
[ ! -s "$t/newer" ] || exit 1
n=$(wc -l < "$t/asked")
[ "$(wc -l < "$t/cl.follow")" -eq "$n" ] && [ "$(wc -l < "$t/cl.own")" -eq "$n" ] || exit 1
cat "$t/cl.follow" "$t/cl.own" | awk -v since="$since" '{ if ($1 !~ /^[0-9]+\.[0-9]+$/) odd = 1; else if (newest == "" || $1 + 0 > newest + 0) newest = $1 } END { exit !(!odd && newest != "" && newest + 0 < since + 0) }'
`;

/** The probe with the check: the read line replaced by "the kept read stands, or read". Arguments: the read script, the expected key. */
export const CACHED_PROBE_SCRIPT = (() => {
  const read = PROBE_SCRIPT.split('\n').findIndex((line) => line.includes('BGW_READ_ONLY=1'));
  if (read === -1) throw new Error('the login probe has no read line');
  const lines = PROBE_SCRIPT.split('\n');
  const readLine = lines[read]!;
  lines[read] = [
    `  if ( ${CHECK.trim().split('\n').join('\n')}\n  ) && [ "$(cat "$t/key")" = "$want" ]; then`,
    '    : > "$t/out"; : > "$t/err"; echo 0 > "$t/code"; echo kept > "$t/kept"',
    '  else',
    `  ${readLine}`,
    '    : > "$t/kept"',
    '  fi',
  ].join('\n');
  const head = ['read_script=$1 want=$2', 'cat > "$t/names"; : > "$t/key"'];
  const body = lines.filter((line) => line !== 'read_script=$1');
  const temp = body.findIndex((line) => line.startsWith('trap '));
  body.splice(temp + 1, 0, head[1]!);
  return [head[0], ...body].join('\n').replace('for part in meta version cgroup out err code;', 'for part in key kept meta version cgroup out err code;');
})();

/** The probe to send when `kept` may stand (or, with none, to learn the key for the next run). */
export function cachedProbe(kept: KeptRead | null): CommandSpec {
  return { argv: ['sh', '-c', CACHED_PROBE_SCRIPT, 'sh', CONFIG_READ_SCRIPT, kept?.key ?? ''], stdin: kept?.names ?? '', timeoutMs: NGINX_PROBE.timeoutMs };
}

const SECTION = /@@bgw-probe (\w+)\n([\s\S]*?)\n@@bgw-probe-end \1\n/g;

/**
 * The plain probe's result, from the cached probe's: the kept read's sections where the box said it stands,
 * the box's own otherwise; plus what to keep for the next run (null: keep nothing new).
 */
export function plainProbeResult(run: CommandResult, kept: KeptRead | null, reader: string): { result: CommandResult; keep: KeptRead | null; hit: boolean } {
  const sections = [...run.stdout.matchAll(SECTION)].map((m) => ({ name: m[1]!, text: m[2]! }));
  const named = (name: string) => sections.find((s) => s.name === name)?.text;
  const key = named('key')?.replace(/\n+$/, '');
  const hit = run.code === 0 && kept !== null && named('kept')?.trim() === 'kept' && key === kept.key;
  const plain = sections.filter((s) => s.name !== 'key' && s.name !== 'kept');
  const text = (s: { name: string; text: string }): string => {
    if (hit && s.name === 'out') return kept!.out;
    if (hit && s.name === 'err') return kept!.err;
    return s.text;
  };
  const asPlain: CommandResult = { ...run, argv: NGINX_PROBE.argv };
  const answered = plain.map((s) => ({ name: s.name, text: text(s) }));
  const result = run.code === 0 ? probeOfSections(asPlain, answered) : asPlain;
  if (hit || run.code !== 0 || sections.filter((s) => s.name === 'code').length !== 1) return { result, keep: null, hit };
  const err = named('err') ?? '';
  if (!key || named('code')?.trim() !== '0') return { result, keep: null, hit };
  const names = keptNames(err);
  return names ? { result, keep: { v: 1, reader, key, names, out: named('out') ?? '', err }, hit } : { result, keep: null, hit };
}

/** The folder a path names its last part in ("/" for a top-level one). */
const folderOf = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';

/**
 * What the check asks of a read's files (its stderr lists them) and of its globs' folders: the files outside
 * a globbed folder and the folders themselves, one by one; then, after an empty line, the globbed folders,
 * whose entries the box lists and asks itself. Every file in a globbed folder is one of its entries, and a
 * link there made, removed or pointed elsewhere changes the folder, which is asked. Null when the stderr
 * lists no file.
 */
function keptNames(err: string): string | null {
  const files: string[] = [];
  const folders = new Set<string>();
  for (const line of err.split('\n')) {
    const fields = line.split('\t');
    if (fields[0] === 'file' && fields.length >= 4) files.push(fields.slice(3).join('\t'));
    else if (fields[0] === 'glob' && fields.length >= 2) {
      const folder = fields[1]!.slice(0, fields[1]!.lastIndexOf('/'));
      if (folder) folders.add(folder);
    }
  }
  const asked = new Set([...files.filter((f) => !folders.has(folderOf(f))), ...folders]);
  if (files.length === 0 || [...asked].some((n) => n.includes('\n') || !n.startsWith('/'))) return null;
  const lines = (names: Iterable<string>): string => [...names].map((n) => `${n}\n`).join('');
  return `${lines(asked)}\n${lines(folders)}`;
}

/** A kept read from what its file holds, or null when it is not one (another reader, odd fields). */
export function keptReadOf(value: unknown, reader: string): KeptRead | null {
  const read = value as Partial<KeptRead> | null;
  if (typeof read !== 'object' || read?.v !== 1 || read.reader !== reader) return null;
  for (const field of ['key', 'names', 'out', 'err'] as const) if (typeof read[field] !== 'string') return null;
  if (read.id !== undefined && typeof read.id !== 'string') return null;
  // Names one a line, in two lists with an empty line between them (keptNames), each name absolute.
  const lines = read.names!.split('\n').slice(0, -1);
  const blank = lines.indexOf('');
  if (!read.names!.endsWith('\n') || blank <= 0 || lines.some((n, i) => i !== blank && !n.startsWith('/'))) return null;
  return read as KeptRead;
}
