/**
 * A systemd unit on a box where systemd is not running (a container, a chroot, a box booted by another init):
 * the unit still says how its program is started, so it can be started by hand as systemd would start it:
 * its ExecStart, as its User and Group, in its WorkingDirectory, with its Environment and EnvironmentFile,
 * detached, its output appended where the unit sends it (else to a log named after the unit).
 */

import { splitShellWords } from './nginx-v.js';

/**
 * Run by `sh -c` with the log, the directory ('' for none), the environment files (a leading '-': may be
 * missing), '--', then the command: sources the files, enters the directory, and execs the command with its
 * input from /dev/null and its output appended to the log. Every value is an argument, never part of the script.
 */
const BY_HAND = `log=$1 dir=$2
shift 2
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  file=\${1#-}
  if [ -r "$file" ]; then set -a; . "$file"; set +a
  elif [ "$file" = "$1" ]; then echo "badgateway: cannot read $file" >&2; exit 1; fi
  shift
done
shift
if [ -n "$dir" ]; then cd "$dir" || exit 1; fi
exec "$@" < /dev/null >> "$log" 2>&1`;

interface ServiceSection {
  execStart: string | null;
  user: string | null;
  group: string | null;
  dir: string | null;
  environment: string[];
  environmentFiles: string[];
  output: string | null;
}

/** The [Service] settings a start by hand needs; a later assignment wins, an empty one resets a list. */
function serviceSection(text: string): ServiceSection {
  const found: ServiceSection = { execStart: null, user: null, group: null, dir: null, environment: [], environmentFiles: [], output: null };
  let section = '';
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const setting = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (section !== 'Service' || !setting) continue;
    const [key, value] = [setting[1] as string, (setting[2] as string).trim()];
    if (key === 'ExecStart') found.execStart = value || null;
    else if (key === 'User') found.user = value || null;
    else if (key === 'Group') found.group = value || null;
    else if (key === 'WorkingDirectory') found.dir = value || null;
    else if (key === 'Environment') found.environment = value ? [...found.environment, ...splitShellWords(value)] : [];
    else if (key === 'EnvironmentFile') found.environmentFiles = value ? [...found.environmentFiles, value] : [];
    else if (key === 'StandardOutput') found.output = /^(append|file):(\/.+)$/.exec(value)?.[2] ?? null;
  }
  return found;
}

/** systemd's own expansions ($VAR, %i, ...) cannot be done by hand faithfully; "$$" and "%%" are literal. */
const expands = (value: string): boolean => /[$%]/.test(value.replace(/\$\$|%%/g, ''));
const literal = (value: string): string => value.replace(/\$\$/g, '$').replace(/%%/g, '%');

export type ByHand = { argv: string[]; log: string } | { reason: string };

/** The command that starts the unit's program as systemd would, or why it cannot be built from the unit. */
export function startByHand(unitName: string, text: string): ByHand {
  const unit = serviceSection(text);
  if (!unit.execStart) return { reason: `${unitName} has no ExecStart` };
  // ExecStart's prefixes: "-" (failure ignored), ":" "+" "!" "!!" (privileges, expansion); "@" renames argv[0].
  const written = unit.execStart.replace(/^[-:+!]+/, '');
  if (written.startsWith('@')) return { reason: `${unitName}'s ExecStart names its argv[0] apart ("@")` };
  const values = [written, unit.user ?? '', unit.group ?? '', unit.dir ?? '', ...unit.environment, ...unit.environmentFiles];
  if (values.some(expands)) return { reason: `${unitName} uses systemd's variables or specifiers ($NAME, %i), which only systemd expands` };
  const command = splitShellWords(literal(written));
  if (!command[0]?.startsWith('/')) return { reason: `${unitName}'s ExecStart does not start with an absolute path` };
  const dir = unit.dir?.replace(/^-/, '') ?? '';
  if (dir && !dir.startsWith('/')) return { reason: `${unitName}'s WorkingDirectory ${dir} is not an absolute path` };
  const log = unit.output ?? `/var/log/${unitName.replace(/\.service$/, '')}.log`;
  const asUser = unit.user && unit.user !== 'root' ? ['runuser', '-u', unit.user, ...(unit.group ? ['-g', unit.group] : []), '--'] : [];
  const environment = unit.environment.map(literal).filter((pair) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(pair));
  return {
    argv: ['setsid', '-f', 'sh', '-c', BY_HAND, 'sh', log, literal(dir), ...unit.environmentFiles.map(literal), '--', ...asUser, 'env', ...environment, ...command],
    log,
  };
}
