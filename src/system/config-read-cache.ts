import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { CONFIG_READ_SCRIPT } from './config-read-script.js';
import { NGINX_PROBE, PROBE_SCRIPT, probeSection } from './nginx-probe.js';

/**
 * The config read kept between runs (issue 17): on a box with 20,000 vhosts, reading the files is most of
 * the login's wait. A run with a kept read sends, in place of the login probe (nginx-probe.ts), the same
 * probe with one change: before reading, the box checks that the kept read still stands, and then skips it.
 * It stands when the box says (a) the same master (PID, binary, -p, -c) with the same oldest child (its
 * start in clock ticks: a reload starts new workers), on the same boot (boot_id) and in the same mount
 * namespace (a container's nginx can share a PID and a start tick with another's), and (b) every file, symbolic link and globbed folder the
 * kept read names changed before that nginx loaded its config (the reader's own rule, FRESH). The text read
 * then was read after the load from files that have not changed since: it is still what nginx loaded. Any
 * doubt (a file changed, added to or removed from a globbed folder, a reload, a stat that fails, a kept
 * read that does not parse) runs the read as the plain probe does, in the same round trip.
 *
 * Nothing kept reaches a shell as code: the names travel on stdin (one a line, handed to stat through
 * xargs -0), the expected key is compared as a string.
 */

/** What is kept: the probe's read sections, and the key and names the check compares. */
export interface KeptRead {
  v: 1;
  /** The reader's own version: a changed script never trusts an old read. */
  reader: string;
  /** PID, binary, prefix, conf, start ticks, boot id, mount namespace: one a line, as the box printed them before it read. */
  key: string;
  /** Every file, symlink and globbed folder the read depended on, one a line. */
  names: string;
  out: string;
  err: string;
}

/** The reader's version: a short hash of its script, so a change of it invalidates every kept read. */
export function readerVersion(hash: (text: string) => string): string {
  return hash(`${CONFIG_READ_SCRIPT}\n${PROBE_SCRIPT}\n${CHECK}`);
}

/**
 * On the box: `key` (stdout) of the master $pid; exit 0 only when every name on stdin changed before its
 * load (50 ms margin). The start of the oldest child is both the key's part and the load time (as LOADED
 * in config-read-script.ts). The files and their link targets are asked in two stat passes side by side:
 * on 20,000 vhosts each pass is a tenth of a second of the kernel's time.
 */
const CHECK = String.raw`
ticks=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v master="$pid" '$0 ~ /\)/ { sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == master && (min == "" || f[20] + 0 < min + 0)) min = f[20] } END { print min }')
[ -n "$ticks" ] || exit 1
boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null); mnt=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)
printf "%s\n%s\n%s\n%s\n%s\n%s\n%s\n" "$pid" "$bin" "$p" "$c" "$ticks" "$boot" "$mnt" > "$t/key"
[ -s "$t/names" ] || exit 1
read -r up _ < /proc/uptime; now=$(date +%s.%N); clk=$(getconf CLK_TCK)
loaded=$(awk -v now="$now" -v up="$up" -v clk="$clk" -v ticks="$ticks" 'BEGIN { printf "%.3f\n", now - up + ticks / clk }')
tr "\n" "\0" < "$t/names" > "$t/names0"
xargs -0 stat -L -c "%.9Z" < "$t/names0" > "$t/cl" 2>/dev/null & targets=$!
xargs -0 stat -c "%.9Z" < "$t/names0" > "$t/cl2" 2>/dev/null || exit 1
wait "$targets" || exit 1
cat "$t/cl2" >> "$t/cl"
[ "$(wc -l < "$t/cl")" -eq $((2 * $(wc -l < "$t/names"))) ] || exit 1
awk -v loaded="$loaded" 'BEGIN { if (loaded !~ /^[0-9]+\.[0-9]+$/) odd = 1 } { if ($1 !~ /^[0-9]+\.[0-9]+$/) odd = 1; else if (newest == "" || $1 + 0 > newest + 0) newest = $1 } END { exit !(!odd && newest != "" && newest + 0.05 < loaded + 0) }' "$t/cl"
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
  const stdout = run.code === 0 ? plain.map((s) => probeSection(s.name, text(s))).join('') : run.stdout;
  const result: CommandResult = { ...run, argv: NGINX_PROBE.argv, stdout };
  if (hit || run.code !== 0 || sections.filter((s) => s.name === 'code').length !== 1) return { result, keep: null, hit };
  const err = named('err') ?? '';
  if (!key || named('code')?.trim() !== '0') return { result, keep: null, hit };
  const names = keptNames(err);
  return names ? { result, keep: { v: 1, reader, key, names, out: named('out') ?? '', err }, hit } : { result, keep: null, hit };
}

/** The files, and the folders of the globs, a read's stderr lists; null when it lists no file. */
function keptNames(err: string): string | null {
  const names = new Set<string>();
  for (const line of err.split('\n')) {
    const fields = line.split('\t');
    if (fields[0] === 'file' && fields.length >= 4) names.add(fields.slice(3).join('\t'));
    else if (fields[0] === 'glob' && fields.length >= 2) {
      const folder = fields[1]!.slice(0, fields[1]!.lastIndexOf('/'));
      if (folder) names.add(folder);
    }
  }
  if (names.size === 0 || [...names].some((n) => n.includes('\n') || !n.startsWith('/'))) return null;
  return `${[...names].join('\n')}\n`;
}

/** A kept read from its file's text, or null when it is not one (corrupt, another reader, odd fields). */
export function parseKeptRead(text: string, reader: string): KeptRead | null {
  try {
    const value = JSON.parse(text) as Partial<KeptRead>;
    if (value?.v !== 1 || value.reader !== reader) return null;
    for (const field of ['key', 'names', 'out', 'err'] as const) if (typeof value[field] !== 'string') return null;
    if (
      !value.names!.endsWith('\n') ||
      value
        .names!.split('\n')
        .slice(0, -1)
        .some((n) => !n.startsWith('/'))
    )
      return null;
    return value as KeptRead;
  } catch {
    return null;
  }
}
