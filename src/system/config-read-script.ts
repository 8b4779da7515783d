/**
 * The shell script behind configReadCommand (config-read.ts): it prints what `nginx -T` would, without
 * nginx -T's cost (nginx builds every server-name hash before it prints: 12 s for 20,000 vhosts), by
 * reading the files the running nginx loaded with nginx's own rules:
 *
 * - the main file: the master's `-c` (relative to the prefix), else `--conf-path` of `nginx -V`; the prefix
 *   is `-p`, else `--prefix` of `nginx -V`, else /usr/local/nginx, with a slash added (ngx_process_options);
 * - `include`, relative to the main file's folder (ngx_conf_full_name with the conf prefix); a pattern
 *   with `*?[` expanded as glob(3) does for nginx, sorted byte-wise (LC_ALL=C), dot-files left out;
 * - each file printed once, the first time it is opened, in the order nginx opens them (depth first), as
 *   `# configuration file NAME:`, its bytes and a newline: nginx -T's own framing.
 *
 * One awk reads every file (no process per file: 20,000 vhosts are 20,000 files), one `sh` per distinct
 * glob pattern expands it (the pattern travels in a file, never inside a command), one `stat` gives every
 * file's size and change time. The files are nginx's running config only if none changed since nginx loaded
 * them: when a file (or the symlink to it, or a globbed folder: a file added or removed there) changed after the oldest worker started (or there are no workers),
 * when a file cannot be read, or anything else is unsure, it runs nginx -T itself (its verdict is then
 * the point) after a `badgateway: config-read: nginx -T:` line on stderr. What the awk cannot tell
 * (an include it missed or followed wrongly) the parser checks afterwards (readIsComplete, read-check.ts).
 *
 * Arguments: nginx's binary, the master's PID, its -p and -c values ('' when absent), then its arguments
 * as given (for nginx -T). Output when read: stdout as nginx -T's; stderr `glob\tPATTERN\tMATCH` (or with
 * no MATCH for none), `file\tCTIME\tSIZE\tNAME` per file, then `loaded\tSTART`.
 */

/** Walks the includes; prints the dump to stdout, the files to $t/files, the globs to $t/globs. */
const WALK = String.raw`
function slurp(f,   s, r, rec, first) {
  s = ""; first = 1
  while ((r = (getline rec < f)) > 0) { s = first ? rec : s "\001" rec; first = 0 }
  close(f)
  if (r < 0) { print "cannot read " f > (t "/unsure"); return "" }
  return s
}
function expand(abs,   cmd, m, n) {
  if (abs in globbed) return globbed[abs]
  printf "%s\n", abs > (t "/pattern"); close(t "/pattern")
  cmd = "sh " t "/glob.sh " t "/pattern"
  n = 0
  RS = "\n"
  while ((cmd | getline m) > 0) { matched[abs, ++n] = m; printf "glob\t%s\t%s\n", abs, m > (t "/globs") }
  close(cmd)
  RS = "\001"
  if (n == 0) printf "glob\t%s\n", abs > (t "/globs")
  globbed[abs] = n
  return n
}
function follow(p,   abs, n, k) {
  if (p ~ /^".*"$/ || p ~ /^\047.*\047$/) p = substr(p, 2, length(p) - 2)
  abs = substr(p, 1, 1) == "/" ? p : confdir p
  if (abs !~ /[*?[]/) { visit(abs); return }
  n = expand(abs)
  for (k = 1; k <= n; k++) visit(matched[abs, k])
}
function visit(f,   s, lines, n, i, line, d) {
  if (f in seen) return
  seen[f] = 1
  printf "%s\n", f > (t "/files")
  s = slurp(f)
  printf "# configuration file %s:\n%s\n", f, s
  if (index(s, "include") == 0) return
  n = split(s, lines, "\n")
  for (i = 1; i <= n; i++) {
    line = lines[i]
    while (index(line, "include") && match(line, /(^|[;{}])[ \t]*include[ \t]+[^ \t;{}#]+[ \t]*;/)) {
      d = substr(line, RSTART, RLENGTH)
      line = substr(line, RSTART + RLENGTH)
      sub(/^[;{}]?[ \t]*include[ \t]+/, "", d)
      sub(/[ \t]*;$/, "", d)
      follow(d)
    }
  }
}
BEGIN { RS = "\001"; ORS = ""; visit(main) }
`;

/** Oldest start of the master's children (workers, cache processes), in seconds since the epoch. */
const LOADED = String.raw`
$0 ~ /\)/ { sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == master && (min == "" || f[20] < min)) min = f[20] }
END { if (min != "") printf "%.3f\n", now - up + min / clk }
`;

/**
 * Fresh when every file, symlink and globbed folder changed before the load (50 ms margin). A time that is not
 * seconds with a fraction (a stat or date without nanoseconds, as busybox's) is never fresh.
 */
const FRESH = String.raw`
$1 == "loaded" { loaded = $2; if (loaded !~ /^[0-9]+\.[0-9]+$/) odd = 1 }
$1 == "c" { if ($2 !~ /^[0-9]+\.[0-9]+$/) odd = 1; else if (newest == "" || $2 + 0 > newest + 0) newest = $2 }
END { exit !(!odd && newest != "" && newest + 0.05 < loaded + 0) }
`;

// The awk programs go inside single quotes in the script: they must hold none.
for (const program of [WALK, LOADED, FRESH]) if (program.includes("'")) throw new Error('an awk program of the config reader holds a single quote');

export const CONFIG_READ_SCRIPT = [
  'LC_ALL=C; export LC_ALL',
  'bin=$1 master=$2 prefix=$3 conf=$4; shift 4',
  // BGW_READ_ONLY (the login probe, nginx-probe.ts): say why, and leave nginx -T to the step that needs it.
  'dump() { r=$1; shift; printf "badgateway: config-read: nginx -T: %s\\n" "$r" >&2; if [ -n "$BGW_READ_ONLY" ]; then exit 3; fi; "$bin" "$@" -T; exit; }',
  't=$(mktemp -d 2>/dev/null) || dump "no temp folder" "$@"',
  'trap \'rm -rf "$t"\' EXIT',
  'case $t in *[!A-Za-z0-9/._-]*) dump "odd temp folder" "$@";; esac',
  'if [ -z "$prefix" ] || [ -z "$conf" ]; then',
  '  v=$("$bin" -V 2>&1 | tr " " "\\n")',
  '  [ -n "$prefix" ] || prefix=$(printf "%s\\n" "$v" | sed -n "s/^--prefix=//p" | tail -n 1)',
  '  [ -n "$conf" ] || conf=$(printf "%s\\n" "$v" | sed -n "s/^--conf-path=//p" | tail -n 1)',
  'fi',
  'case $prefix$conf in *[\\"\\\']*) dump "quoted configure paths" "$@";; esac',
  'prefix=${prefix:-/usr/local/nginx}; case $prefix in */) ;; *) prefix=$prefix/;; esac',
  'conf=${conf:-conf/nginx.conf}; case $conf in /*) ;; *) conf=$prefix$conf;; esac',
  // The glob: IFS empty and no quotes, so the pattern read from the file is only pathname-expanded.
  'printf \'%s\\n\' \'IFS=; read -r p < "$1"; for f in $p; do if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\\n" "$f"; fi; done\' > "$t/glob.sh"',
  ': > "$t/files"; : > "$t/globs"',
  `awk -v t="$t" -v main="$conf" -v confdir="\${conf%/*}/" '${WALK}' > "$t/dump" || dump "the reader failed" "$@"`,
  '[ -s "$t/unsure" ] && dump "$(head -n 1 "$t/unsure")" "$@"',
  // Globbed folders that exist (a file added or removed there), when the pattern's folder has no glob characters.
  'cut -f 2 "$t/globs" | sed "s,/[^/]*$,," | sort -u | while IFS= read -r d; do if [ -d "$d" ]; then printf "%s\\n" "$d"; fi; done > "$t/dirs"',
  'grep -q "[*?[]" "$t/dirs" && dump "a glob in a folder name" "$@"',
  // Each file as nginx opens it (through symlinks), and each symlink itself (re-pointed), side by side.
  'tr "\\n" "\\0" < "$t/files" | xargs -0 stat -c "%.9Z" > "$t/lstat" 2>/dev/null & l=$!',
  'tr "\\n" "\\0" < "$t/files" | xargs -0 stat -L -c "%.9Z %s %n" > "$t/stat" 2>/dev/null || dump "stat failed" "$@"',
  'wait "$l" || dump "stat failed" "$@"',
  'if [ -s "$t/dirs" ]; then tr "\\n" "\\0" < "$t/dirs" | xargs -0 stat -c "%.9Z" > "$t/dstat" 2>/dev/null || dump "stat failed" "$@"; else : > "$t/dstat"; fi',
  'read -r up _ < /proc/uptime; now=$(date +%s.%N); clk=$(getconf CLK_TCK)',
  `loaded=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v master="$master" -v now="$now" -v up="$up" -v clk="$clk" '${LOADED}')`,
  `{ echo "loaded $loaded"; cut -d " " -f 1 "$t/stat" "$t/lstat" "$t/dstat" | sed "s/^/c /"; } | awk '${FRESH}' || dump "the files changed since nginx loaded them" "$@"`,
  'awk \'{ c = $1; s = $2; sub(/^[^ ]* [^ ]* /, ""); printf "file\\t%s\\t%s\\t%s\\n", c, s, $0 }\' "$t/stat" >&2',
  'cat "$t/globs" >&2',
  'printf "loaded\\t%s\\n" "$loaded" >&2',
  'cat "$t/dump"',
].join('\n');
