/**
 * Reads logs with their rotated siblings (NAME.1, NAME.2.gz ... NAME.5.gz), each bounded: the last
 * `bytes` of every file (compressed ones through zcat, given 5 s), and all of it cut at `total` bytes. On
 * the backend's box it also reads, by fixed patterns, the logs boxes of the usual kinds keep about their
 * backends: supervisord's own log and the files its programs' stdout_logfile/stderr_logfile name, pm2's own
 * log and its apps' error logs, the files running processes were told to log to by their arguments
 * (--error-logfile, --logto), php-fpm's log and the kernel's. One fixed sh script; the paths and sizes are
 * its positional arguments. Parts are marked by lines carrying a nonce the script draws itself, so no log
 * line can pass for a marker.
 */

const SCRIPT = [
  'bytes=$1 total=$2 backend=$3; shift 3',
  'n=$(od -An -N8 -tx1 /dev/urandom 2>/dev/null | tr -d " \\n"); [ -n "$n" ] || n=$$',
  'printf \'@@bgw-history %s\\n\' "$n"',
  'one() {',
  '  [ -f "$1" ] || return 0',
  '  printf \'@@%s %s\\n\' "$n" "$1"',
  '  case $1 in *.gz) timeout 5 zcat -- "$1" 2>&1 | tail -c "$bytes" ;; *) tail -c "$bytes" -- "$1" 2>&1 ;; esac',
  "  printf '\\n'",
  '}',
  'log() { for s in .5.gz .5 .4.gz .4 .3.gz .3 .2.gz .2 .1.gz .1 ""; do one "$1$s"; done; }',
  'for f in "$@"; do log "$f"; done',
  '[ "$backend" = 1 ] || exit 0',
  'for f in /var/log/supervisor/supervisord.log /var/log/supervisord.log /var/log/kern.log /var/log/php*-fpm.log /root/.pm2/pm2.log /home/*/.pm2/pm2.log; do log "$f"; done',
  'for f in /root/.pm2/logs/*-error.log /home/*/.pm2/logs/*-error.log; do log "$f"; done',
  // Logs a backend was told to write by its own arguments (gunicorn --error-logfile, uwsgi --logto, ...).
  'for f in $(ps -eo args= 2>/dev/null | sed -n "s/.*--\\(error-logfile\\|log-file\\|logfile\\|logto\\|error-log\\)[ =]\\(\\/[^ ]*\\).*/\\2/p" | sort -u); do log "$f"; done',
  'for f in $(sed -n "s/^[[:space:]]*std\\(out\\|err\\)_logfile[[:space:]]*=[[:space:]]*\\(\\/[^[:space:];]*\\).*/\\2/p" /etc/supervisor/conf.d/* /etc/supervisord.d/* 2>/dev/null | sort -u); do log "$f"; done',
].join('\n');

/** `backend`: also read the backend logs the fixed patterns find (on the backend's box). */
export function historyReadCommand(logs: readonly string[], bytesPerFile: number, totalBytes: number, backend: boolean): string[] {
  return ['sh', '-c', `{\n${SCRIPT}\n} | head -c ${totalBytes}`, 'badgateway-history', String(bytesPerFile), String(totalBytes), backend ? '1' : '0', ...logs];
}

export interface ReadFile {
  path: string;
  text: string;
}

/** The files the script printed, in its order (oldest rotation first); null when its first line is missing. */
export function parseHistoryRead(stdout: string): ReadFile[] | null {
  const first = /^@@bgw-history ([0-9a-f]+|\d+)\n/.exec(stdout);
  if (!first) return null;
  const marker = `@@${first[1]} `;
  const out: ReadFile[] = [];
  for (const chunk of stdout.slice(first[0].length).split(`\n${marker}`)) {
    const body = chunk.startsWith(marker) ? chunk.slice(marker.length) : chunk;
    const newline = body.indexOf('\n');
    if (newline < 0) continue;
    const path = body.slice(0, newline);
    if (!path.startsWith('/')) continue;
    const seen = out.find((f) => f.path === path);
    if (!seen) out.push({ path, text: body.slice(newline + 1) });
  }
  return out;
}
