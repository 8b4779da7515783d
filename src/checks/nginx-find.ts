import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, Listener, ProcessInfo } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { parseNginxV } from '../system/nginx-v.js';
import { nginxMasters, parsePs } from '../system/ps.js';
import { parseSs } from '../system/ss.js';
import { defineCheck } from './check.js';
import { resultOf } from '../facts/results.js';
import { configReadCommand } from '../system/config-read.js';
import { isNginxProbe, NGINX_PROBE, probeFor } from '../system/nginx-probe.js';

const PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
const SS = ['ss', '-Hltnxp'];

type Master = ReturnType<typeof nginxMasters>[number];

/** The master that serves the failing request's port, else the only (or first) one running. */
export function pickMaster(masters: Master[], processes: ProcessInfo[], listeners: Listener[], port: number | undefined): Master | null {
  if (port !== undefined) {
    const owners = listeners.filter((l) => l.port === port).flatMap((l) => l.pids ?? (l.pid !== null ? [l.pid] : []));
    for (const pid of owners) {
      const process = processes.find((p) => p.pid === pid);
      const master = masters.find((m) => m.pid === pid || m.pid === process?.ppid);
      if (master) return master;
    }
  }
  return masters[0] ?? null;
}

/** -c and -p as given to the running master; a relative -c is relative to the prefix. */
function startupPaths(args: string[], configure: Record<string, string>): { prefix: string; confPath: string } {
  const value = (flag: string) => {
    const index = args.indexOf(flag);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const withSlash = (dir: string) => (dir.endsWith('/') ? dir : `${dir}/`);
  const prefix = withSlash(value('-p') ?? configure['--prefix'] ?? '/usr/share/nginx/');
  const conf = value('-c') ?? configure['--conf-path'] ?? 'conf/nginx.conf';
  return { prefix, confPath: absolute(conf, prefix) };
}

function absolute(path: string, prefix: string): string {
  return path.startsWith('/') ? path : prefix + path;
}

function systemdUnit(cgroup: CommandResult | undefined): string | null {
  const match = /\/([\w@.-]+)\.service\s*$/m.exec(cgroup?.stdout ?? '');
  return match ? (match[1] as string) : null;
}

/** The failing request's port, from --url, if the person gave one. */
function requestPort(facts: KnownFacts): number | undefined {
  if (facts['request.port'] !== undefined) return facts['request.port'];
  const url = facts['request.url'];
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  } catch {
    return undefined;
  }
}

/** The probe's answers for this master, when it took the master as pickMaster did. */
function probed(results: readonly CommandResult[], master: Master) {
  return probeFor(
    results.find((r) => isNginxProbe(r.argv)),
    { pid: master.pid, binary: master.binary ?? 'nginx', args: master.args },
  );
}

export const nginxFind = defineCheck({
  id: 'nginx.find',
  guide: 'upstream-config',
  outcomes: ['running', 'not-running', 'not-installed', 'not-nginx'],
  needs: [],
  learns: ['processes', 'listeners'],
  learnsOn: {
    running: ['nginx.binary', 'nginx.version', 'nginx.args', 'nginx.prefix', 'nginx.confPath', 'nginx.masterPid', 'nginx.reload', 'nginx.test', 'nginx.defaultErrorLog'],
  },

  plan(facts, done) {
    // The probe rides with the login: for the usual box it answers what the second round would ask.
    if (done.length === 0) return [{ argv: PS }, { argv: SS }, NGINX_PROBE];
    if (done.some((r) => r.argv[1] === '-V')) return [];
    const processes = parsePs(resultOf(done, 'ps')?.stdout ?? '');
    const master = pickMaster(nginxMasters(processes), processes, parseSs(resultOf(done, 'ss')?.stdout ?? ''), requestPort(facts));
    const binary = master?.binary ?? 'nginx';
    if (master && probed(done, master)) return [];
    const next: CommandSpec[] = [{ argv: [binary, '-V'] }];
    // The config read here too: the next step reads the config, and gets this result without another round trip.
    if (master) next.push({ argv: ['cat', `/proc/${master.pid}/cgroup`] }, configReadCommand(binary, master.pid, master.args));
    return next;
  },

  interpret(facts, results) {
    const processes = parsePs(resultOf(results, 'ps')?.stdout ?? '');
    const listeners = parseSs(resultOf(results, 'ss')?.stdout ?? '');
    const masters = nginxMasters(processes);
    const port = requestPort(facts);
    const master = pickMaster(masters, processes, listeners, port);
    const probe = master ? probed(results, master) : null;
    const versionRun = results.find((r) => r.argv[1] === '-V') ?? probe?.version;
    const base: KnownFacts = { processes, listeners };
    const psLines = masters.map((m) => processes.find((p) => p.pid === m.pid)?.args ?? `pid ${m.pid}`);

    if (port !== undefined) {
      const owner = listeners.find((l) => l.port === port && l.netid !== 'unix');
      const ownerIsNginx = owner && masters.some((m) => m.pid === owner.pid || processes.find((p) => p.pid === owner.pid)?.ppid === m.pid);
      if (owner && !ownerIsNginx) {
        return {
          outcome: 'not-nginx',
          facts: base,
          summary: `port ${port} is served by ${owner.process ?? 'another program'}, not nginx`,
          evidence: [{ command: shownCommand(SS), lines: [`${owner.address}:${owner.port} ${owner.process ?? '?'} pid ${owner.pid ?? '?'}`] }],
        };
      }
    }

    if (!master) {
      if (versionRun?.failure === 'not-found') {
        return { outcome: 'not-installed', facts: base, summary: 'nginx is not installed on this box', evidence: [{ command: shownCommand(['nginx', '-V']), lines: ['command not found'] }] };
      }
      return {
        outcome: 'not-running',
        facts: base,
        summary: 'nginx is installed but no nginx master process runs',
        evidence: [{ command: shownCommand(PS), lines: ['no "nginx: master process" in the process list'] }],
      };
    }
    const info = parseNginxV(versionRun?.stderr ?? '');
    const { prefix, confPath } = startupPaths(master.args, info.configure);
    const binary = master.binary ?? 'nginx';
    const unit = systemdUnit(resultOf(results, 'cat') ?? probe?.cgroup);
    const test = [binary, ...master.args, '-t'];
    const reload = unit ? ['systemctl', 'reload', unit] : [binary, ...master.args, '-s', 'reload'];
    return {
      outcome: 'running',
      facts: {
        ...base,
        'nginx.binary': binary,
        'nginx.version': info.version ?? 'unknown',
        'nginx.args': master.args,
        'nginx.prefix': prefix,
        'nginx.confPath': confPath,
        'nginx.masterPid': master.pid,
        'nginx.reload': reload,
        'nginx.test': test,
        'nginx.defaultErrorLog': absolute(info.configure['--error-log-path'] ?? 'logs/error.log', prefix),
      },
      summary: `nginx ${info.version ?? ''} runs as pid ${master.pid}, config ${confPath}`.replace('  ', ' '),
      evidence: [
        { command: shownCommand(PS), lines: psLines },
        { command: shownCommand([binary, '-V']), lines: [`nginx version: ${info.version ?? 'unknown'}`, ...(unit ? [`managed by systemd unit ${unit}`] : [])] },
      ],
    };
  },
});
