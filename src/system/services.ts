/**
 * How a program is managed on a box: systemd, a SysV init script, supervisord, runit, s6, pm2, docker, or nothing
 * (a bare process). Pure parsers of what the box prints; fixtures in test/fixtures/service/.
 */
import type { ProcessInfo } from '../facts/keys.js';

/** systemd runs as init exactly when /run/systemd/system is a directory (what sd_booted() tests). */
export function systemdRunning(statStdout: string, code: number | null): boolean {
  return code === 0 && statStdout.trim() === 'directory';
}

/**
 * The systemd unit a process belongs to, from /proc/PID/cgroup: "0::/system.slice/php8.2-fpm.service"
 * (cgroup v2) or "1:name=systemd:/system.slice/nginx.service" (v1). A scope or a bare "/" is no service.
 */
export function unitFromCgroup(text: string): string | null {
  for (const line of text.split('\n')) {
    const m = /^\d+:(?:name=systemd)?:(\/.*)$/.exec(line.trim());
    if (!m) continue;
    const unit = /\/([\w@.:\\-]+\.service)(?:\/|$)/.exec(m[1] as string);
    if (unit && !/^user@/.test(unit[1] as string)) return unit[1] as string;
  }
  return null;
}

/** `systemctl list-unit-files --type=service --no-legend --no-pager`: "php8.2-fpm.service enabled enabled". */
export function parseUnitFiles(stdout: string): { unit: string; state: string }[] {
  const out: { unit: string; state: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(?:●\s*)?(\S+\.service)\s+(\S+)/.exec(line);
    if (m) out.push({ unit: m[1] as string, state: m[2] as string });
  }
  return out;
}

/** `ls -1 -- /etc/init.d`: the init scripts (README and the skeleton are not services). */
export function parseInitScripts(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(README|skeleton|rc[S\d]?|\.)/.test(l) && !l.endsWith('.dpkg-dist'));
}

/**
 * Does this init script start the program in question? It names its binary and, for php-fpm, its
 * config (Debian's php8.2-fpm script sets CONFFILE=/etc/php/8.2/fpm/php-fpm.conf). A process started
 * by hand from another config is not that service, even when the script exists.
 */
export function initScriptManages(script: string, program: { binary: string | null; conf: string | null }): boolean {
  if (program.conf) return script.includes(program.conf);
  if (program.binary) {
    const base = program.binary.slice(program.binary.lastIndexOf('/') + 1);
    return script.includes(program.binary) || new RegExp(`^\\s*(?:NAME|DAEMON)=["']?${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*$`, 'm').test(script);
  }
  return false;
}

/** The process and its parents, nearest first, up to (not including) init. */
export function ancestors(processes: readonly ProcessInfo[], pid: number): ProcessInfo[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const chain: ProcessInfo[] = [];
  for (let p = byPid.get(pid); p && p.pid > 1 && chain.length < 32; p = byPid.get(p.ppid)) chain.push(p);
  return chain;
}

export type Supervisor =
  | { kind: 'supervisor'; pid: number }
  | { kind: 'pm2'; pid: number }
  | { kind: 'runit'; pid: number; service: string }
  | { kind: 's6'; pid: number; service: string }
  | { kind: 'docker'; container: string }
  | { kind: 'containerd'; container: string; namespace: string };

/** supervisord's own process, as ps shows it ("/usr/bin/python3 /usr/bin/supervisord -c ..."). */
export function isSupervisord(args: string): boolean {
  return /(^|[\s/])supervisord(\s|$)/.test(args);
}

/** runit's per-service supervisor as ps shows it: "runsv shop-api" (its service directory's name). */
export function runsvService(args: string): string | null {
  return /^runsv (\S+)$/.exec(args.trim())?.[1] ?? null;
}

/**
 * The service directory runsvdir scans ("runsvdir -P /etc/service log: ..."): `sv NAME` finds NAME there
 * only when it is sv's default, /etc/service on Debian; elsewhere (Void's /var/service) sv needs the path.
 */
export function runsvdirDir(processes: readonly ProcessInfo[]): string | null {
  for (const p of processes) {
    const words = p.args.trim().split(/\s+/);
    if (!/(^|\/)runsvdir$/.test(words[0] ?? '')) continue;
    return words.slice(1).find((w) => !w.startsWith('-')) ?? null;
  }
  return null;
}

/** What `sv` is given for a service: its name under /etc/service, else its directory's path. */
export function svTarget(service: string, dir: string | null): string {
  return dir === null || dir.replace(/\/+$/, '') === '/etc/service' ? service : `${dir.replace(/\/+$/, '')}/${service}`;
}

/** s6's per-service supervisor as ps shows it: "s6-supervise shop-api" (a logger's is "s6-supervise shop-api/log"). */
export function s6SuperviseService(args: string): string | null {
  return /^s6-supervise ([^\s/]+)$/.exec(args.trim())?.[1] ?? null;
}

/** The scan directory s6-svscan watches ("s6-svscan /run/service"): a service's directory is DIR/NAME. */
export function s6ScanDir(processes: readonly ProcessInfo[]): string | null {
  for (const p of processes) {
    const words = p.args.trim().split(/\s+/);
    if (!/(^|\/)s6-svscan$/.test(words[0] ?? '')) continue;
    const dir = words.slice(1).find((w) => !w.startsWith('-'));
    return dir?.startsWith('/') ? dir.replace(/\/+$/, '') : null;
  }
  return null;
}

/** A supervising process among the ancestors: runit's runsv, s6's s6-supervise, supervisord, pm2's God Daemon, or a container shim. */
export function supervisorOf(chain: readonly ProcessInfo[]): Supervisor | null {
  for (const p of chain.slice(1)) {
    const runsv = runsvService(p.args);
    if (runsv) return { kind: 'runit', pid: p.pid, service: runsv };
    const s6 = s6SuperviseService(p.args);
    if (s6) return { kind: 's6', pid: p.pid, service: s6 };
    if (isSupervisord(p.args)) return { kind: 'supervisor', pid: p.pid };
    if (/^PM2 v[\d.]+: God Daemon/.test(p.args)) return { kind: 'pm2', pid: p.pid };
    const shim = /containerd-shim\S*\s.*-namespace\s+(\S+)\s.*-id\s+([0-9a-f]{12,64})/.exec(p.args);
    if (shim) return shim[1] === 'moby' ? { kind: 'docker', container: shim[2] as string } : { kind: 'containerd', container: shim[2] as string, namespace: shim[1] as string };
  }
  return null;
}

export interface SupervisorProgram {
  name: string;
  state: string;
  pid: number | null;
}

/** `supervisorctl status`: "app   RUNNING   pid 1234, uptime 0:00:10", "web:web_00  STOPPED  Nov 21 01:02 PM". */
export function parseSupervisorStatus(stdout: string): SupervisorProgram[] {
  const out: SupervisorProgram[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(STOPPED|STARTING|RUNNING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\b(.*)$/.exec(line.trim());
    if (!m) continue;
    const pid = /\bpid (\d+)/.exec(m[3] as string);
    out.push({ name: m[1] as string, state: m[2] as string, pid: pid ? Number(pid[1]) : null });
  }
  return out;
}

export interface Pm2App {
  name: string;
  status: string;
  pid: number | null;
  /** The PORT its environment gives it (pm2 copies an app's env into pm2_env), if any. */
  port: number | null;
  /** The script it runs and its arguments, to find a socket path among them. */
  command: string;
  /** Where pm2 writes the app's output and errors. */
  logs: string[];
  /** How often pm2 has started it again since it was started (pm2_env.restart_time). */
  restarts: number | null;
}

/** `pm2 jlist`: a JSON array (pm2 may print notices before it). */
export function parsePm2List(stdout: string): Pm2App[] {
  const start = stdout.indexOf('[');
  if (start < 0) return [];
  try {
    const list = JSON.parse(stdout.slice(start)) as { name?: unknown; pid?: unknown; pm2_env?: Record<string, unknown> }[];
    if (!Array.isArray(list)) return [];
    return list
      .filter((a) => typeof a.name === 'string')
      .map((a) => {
        const env = a.pm2_env ?? {};
        const port = Number(env.PORT ?? (env.env as Record<string, unknown> | undefined)?.PORT);
        const args = Array.isArray(env.args) ? env.args.filter((x): x is string => typeof x === 'string') : [];
        return {
          name: a.name as string,
          status: typeof env.status === 'string' ? env.status : 'unknown',
          pid: typeof a.pid === 'number' && a.pid > 0 ? a.pid : null,
          port: Number.isInteger(port) && port > 0 ? port : null,
          command: [typeof env.pm_exec_path === 'string' ? env.pm_exec_path : '', ...args].join(' ').trim(),
          logs: [env.pm_err_log_path, env.pm_out_log_path].filter((f): f is string => typeof f === 'string' && f.startsWith('/')),
          restarts: typeof env.restart_time === 'number' ? env.restart_time : null,
        };
      });
  } catch {
    return [];
  }
}

/** pm2's daemon names the home it serves in its title: "PM2 v7.0.4: God Daemon (/root/.pm2)". */
export function pm2Home(args: string): string | null {
  const m = /^PM2 v[\d.]+: God Daemon \((\/.+)\)$/.exec(args.trim());
  return m ? (m[1] as string) : null;
}

/**
 * pm2 as the daemon serving `home` sees it. Asked with that home, so no second daemon is started (a bare
 * `pm2 jlist` as another user, or with another HOME, spawns one).
 */
export function pm2Command(home: string, ...args: string[]): string[] {
  return ['env', `PM2_HOME=${home}`, 'pm2', ...args];
}

/** `docker ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.State}}'`. */
export function parseDockerPs(stdout: string): { id: string; name: string; state: string }[] {
  const out: { id: string; name: string; state: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{12,64}) (\S+) (\S+)$/.exec(line.trim());
    if (m) out.push({ id: m[1] as string, name: m[2] as string, state: m[3] as string });
  }
  return out;
}
