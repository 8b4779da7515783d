/**
 * Which service on a box is configured to listen at an address, when nothing listens there now: the
 * supervisord program whose command binds the socket or port, the init script or its /etc/default file
 * that names it, the systemd unit whose ExecStart does. A senior admin greps the service definitions for
 * the socket path or port; this is that grep, in one command, bounded in size.
 */

import { logFilesInArgs } from './backend-logs.js';
import { printedFiles } from './printed-files.js';
import { type ByHand, startByHand } from './systemd-unit.js';

/** Where service definitions live on Debian, Red Hat and the usual supervisord setups. */
const DEFINITION_FILES = [
  '/etc/supervisor/supervisord.conf',
  '/etc/supervisor/conf.d/*',
  '/etc/supervisord.conf',
  '/etc/supervisord.d/*',
  '/etc/init.d/*',
  '/etc/default/*',
  '/etc/sv/*/run',
  '/etc/service/*/run',
  '/run/service/*/run',
  '/etc/systemd/system/*.service',
  '/lib/systemd/system/*.service',
  '/usr/lib/systemd/system/*.service',
];

/**
 * Each file that names the address (or is named after the pattern as one whose address is implied), after
 * a line "\x1e<path>"; a runit or s6 run script is followed by its service's log/run (where svlogd or s6-log
 * writes). At most 64 KiB in all. One grep over every file (a grep per file costs a third of a second on a box
 * with a few hundred units), each file once.
 */
const script = (files: readonly string[]) => `pattern=$1
shift
{ grep -lsE -e "$pattern" -- ${files.join(' ')}; for f in "$@"; do printf '%s\\n' "$f"; done; } | awk '!seen[$0]++' | while IFS= read -r f; do
  [ -f "$f" ] || continue
  printf '\\036%s\\n' "$f"
  head -c 16384 -- "$f"
  echo
  case $f in /etc/sv/*/run|/etc/service/*/run|/run/service/*/run) l=\${f%/run}/log/run; [ -f "$l" ] && printf '\\036%s\\n' "$l" && head -c 4096 -- "$l" && echo ;; esac
done | head -c 65536`;

/** A TCP port nginx dials with uwsgi_pass may be named by an app of Debian's uwsgi too (socket = 127.0.0.1:3031): `uwsgiApps`. */
export type DialledAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; port: number; uwsgiApps?: boolean };

/** Debian's uwsgi apps, read only for a port nginx dials with uwsgi_pass. */
const UWSGI_APPS = '/etc/uwsgi/apps-enabled/*.ini';

function escapeEre(text: string): string {
  return text.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
}

/** The extended regex that finds the address in a definition: the socket path, or the port after ':', '=' or a space. */
export function addressPattern(address: DialledAddress): string {
  // A port may be quoted, as supervisord's environment=PORT="4000" and shell files' PORT="4000" write it.
  return address.kind === 'unix' ? escapeEre(address.path) : `(:|=|[[:space:]]|=["'])${address.port}([^0-9]|$)`;
}

/**
 * Debian's uwsgi never writes an app's socket path down: its default.ini puts the socket of
 * /etc/uwsgi/apps-enabled/NAME.ini at /run/uwsgi/app/NAME/socket, and /etc/init.d/uwsgi starts every app.
 */
const DEBIAN_UWSGI_SOCKET = /^\/run\/uwsgi\/app\/([^/]+)\/socket$/;
const uwsgiApp = (name: string) => `/etc/uwsgi/apps-enabled/${name}.ini`;
/** An app of Debian's uwsgi; its own socket lines (socket, http-socket) name a TCP address it is started on. */
const DEBIAN_UWSGI_APP = /^\/etc\/uwsgi\/apps-enabled\/[^/]+\.ini$/;

function impliedFiles(address: DialledAddress): string[] {
  const uwsgi = address.kind === 'unix' ? DEBIAN_UWSGI_SOCKET.exec(address.path) : null;
  return uwsgi ? [uwsgiApp(uwsgi[1] as string)] : [];
}

export function serviceDefsCommand(address: DialledAddress): string[] {
  const files = address.kind === 'tcp' && address.uwsgiApps ? [...DEFINITION_FILES, UWSGI_APPS] : DEFINITION_FILES;
  return ['sh', '-c', script(files), 'service-defs', addressPattern(address), ...impliedFiles(address)];
}

export interface ServiceDefinition {
  kind: 'supervisor' | 'sysv' | 'systemd' | 'runit' | 's6';
  /** The supervisord program, the init script's name, the runit or s6 service (its directory's name), or the unit. */
  name: string;
  file: string;
  /** The line that names the address. */
  line: string;
  /** Log files the definition names: supervisord's stdout_logfile/stderr_logfile, the command's own --log options. */
  logs: string[];
  /** A systemd unit's program started without systemd (systemd-unit.ts), for a box where systemd does not run. */
  byHand?: ByHand;
}

/** supervisord writes a program's output where these say; AUTO, NONE and syslog are no file to read. */
const SUPERVISOR_LOGS = /^(stdout_logfile|stderr_logfile)\s*=\s*(\/\S+)\s*$/;

function namesAddress(line: string, address: DialledAddress): boolean {
  if (address.kind === 'unix') return line.includes(address.path);
  return new RegExp(`(:|=|\\s|=["'])${address.port}(\\D|$)`).test(line);
}

/** A supervisord file's sections: each [program:NAME] with its setting lines (other sections unnamed). */
function supervisorSections(text: string): { name: string; lines: string[] }[] {
  const sections: { name: string; lines: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      const m = /^program:(.+)$/.exec((section[1] as string).trim());
      sections.push({ name: m ? (m[1] as string).trim() : '', lines: [] });
      continue;
    }
    if (line && !line.startsWith(';') && !line.startsWith('#')) sections.at(-1)?.lines.push(line);
  }
  return sections;
}

function programLogs(lines: readonly string[]): string[] {
  const named = lines.map((l) => SUPERVISOR_LOGS.exec(l)?.[2]).filter((f): f is string => f !== undefined);
  const command = lines.find((l) => l.startsWith('command'))?.replace(/^command\s*=\s*/, '') ?? '';
  return [...new Set([...named, ...logFilesInArgs(command)])];
}

/** Where supervisord's program `name` writes its output (stdout_logfile, stderr_logfile) and its command's own log options. */
export function supervisorProgramLogs(text: string, name: string): string[] {
  const section = supervisorSections(text).find((s) => s.name === name);
  return section ? programLogs(section.lines) : [];
}

/** supervisord's files on Debian, Red Hat and pip installs, as one text (bounded): its programs' sections. */
export const SUPERVISOR_CONFS = ['sh', '-c', 'cat -- /etc/supervisor/supervisord.conf /etc/supervisor/conf.d/*.conf /etc/supervisord.conf /etc/supervisord.d/*.ini 2>/dev/null | head -c 65536'];

/** A supervisord file: the [program:NAME] sections whose lines name the address, with the logs they name. */
function supervisorPrograms(file: string, text: string, address: DialledAddress): ServiceDefinition[] {
  const sections = supervisorSections(text);
  const out: ServiceDefinition[] = [];
  for (const { name, lines } of sections) {
    const line = lines.find((l) => namesAddress(l, address));
    if (!name || !line || out.some((d) => d.name === name)) continue;
    out.push({ kind: 'supervisor', name, file, line, logs: programLogs(lines) });
  }
  return out;
}

/** The first line naming the address; a line continued by a backslash (a unit's ExecStart, a script's command) is one line. */
function firstLine(text: string, address: DialledAddress): string | null {
  return (
    text
      .replace(/[ \t]*\\\n\s*/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => !l.startsWith('#') && namesAddress(l, address)) ?? null
  );
}

/**
 * A supervision run script and its log/run: runit's (/etc/sv/NAME, /etc/service/NAME) or s6's (the scan
 * directory /run/service/NAME); the service's name and which of the two.
 */
const SUPERVISED_FILE = /^\/(etc\/sv|etc\/service|run\/service)\/([^/]+)\/(log\/)?run$/;

/** Where a log/run has its logger write: the directories it gives svlogd or s6-log, file "current" in each. */
export function supervisedLogs(logRun: string): string[] {
  const line = logRun.split('\n').find((l) => /(^|[\s/])(svlogd|s6-log)(\s|$)/.test(l) && !l.trim().startsWith('#'));
  if (!line) return [];
  const words = line.trim().split(/\s+/);
  const dirs = words.slice(words.findIndex((w) => /(^|\/)(svlogd|s6-log)$/.test(w)) + 1).filter((w) => w.startsWith('/'));
  return dirs.map((d) => `${d.replace(/\/+$/, '')}/current`);
}

/** What the definition files printed by serviceDefsCommand say about who listens at the address. */
export function parseServiceDefs(stdout: string, address: DialledAddress): ServiceDefinition[] {
  const out: ServiceDefinition[] = [];
  for (const { file, text } of printedFiles(stdout)) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    const supervised = SUPERVISED_FILE.exec(file);
    if (supervised) {
      const kind = supervised[1] === 'run/service' ? 's6' : 'runit';
      const name = supervised[2] as string;
      const known = out.find((d) => d.kind === kind && d.name === name);
      if (supervised[3]) {
        if (known) known.logs = [...new Set([...known.logs, ...supervisedLogs(text)])];
        continue;
      }
      const line = firstLine(text, address);
      // /etc/service/NAME is most often a link to /etc/sv/NAME: one service, found twice.
      if (line && !known) out.push({ kind, name, file, line, logs: logFilesInArgs(line) });
      continue;
    }
    if (file.startsWith('/etc/supervisor') || file.startsWith('/etc/supervisord')) {
      out.push(...supervisorPrograms(file, text, address));
      continue;
    }
    const uwsgiLine = DEBIAN_UWSGI_APP.test(file)
      ? impliedFiles(address).includes(file)
        ? `Debian's uwsgi serves ${base} on ${address.kind === 'unix' ? address.path : ''}`
        : firstLine(text, address)
      : null;
    if (uwsgiLine) {
      const logto = text
        .split('\n')
        .map((l) => /^\s*(?:logto|daemonize)\s*=\s*(\/\S+)\s*$/.exec(l)?.[1])
        .filter((f): f is string => f !== undefined);
      // Debian's init script sends an app's log to /var/log/uwsgi/app/NAME.log unless the app says otherwise.
      const logs = logto.length ? logto : [`/var/log/uwsgi/app/${base.replace(/\.ini$/, '')}.log`];
      out.push({ kind: 'sysv', name: 'uwsgi', file, line: uwsgiLine, logs });
      continue;
    }
    const line = firstLine(text, address);
    if (!line) continue;
    if (file.startsWith('/etc/init.d/') || file.startsWith('/etc/default/')) out.push({ kind: 'sysv', name: base, file, line, logs: logFilesInArgs(line) });
    else if (base.endsWith('.service')) out.push({ kind: 'systemd', name: base, file, line, logs: logFilesInArgs(line), byHand: startByHand(base, text) });
  }
  return out;
}
