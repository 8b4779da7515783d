import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, WorkerLimits } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import type { Directive, NginxConfig } from '../nginx/config-types.js';
import { countFds, openFilesLimit } from '../system/proc-limits.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';

/** nginx's compiled default for worker_connections. */
export const DEFAULT_WORKER_CONNECTIONS = 512;
const MAX_WORKERS = 4;

const place = (d: Directive | undefined) => (d ? { file: d.file, line: d.line } : null);

/** worker_connections (in events{}) and worker_rlimit_nofile (main context) as the config writes them. */
export function configuredLimits(config: NginxConfig): Pick<WorkerLimits, 'connections' | 'connectionsPlace' | 'eventsPlace' | 'rlimitNofile' | 'rlimitPlace'> {
  const events = config.tree.find((d) => d.directive === 'events');
  const wc = events?.block?.find((d) => d.directive === 'worker_connections');
  const rl = config.tree.find((d) => d.directive === 'worker_rlimit_nofile');
  const connections = Number.parseInt(wc?.args[0] ?? '', 10);
  const rlimit = Number.parseInt(rl?.args[0] ?? '', 10);
  return {
    connections: Number.isFinite(connections) ? connections : DEFAULT_WORKER_CONNECTIONS,
    connectionsPlace: place(wc),
    eventsPlace: place(events),
    rlimitNofile: Number.isFinite(rlimit) ? rlimit : null,
    rlimitPlace: place(rl),
  };
}

/** The worker PIDs in `ps -o pid=,args= --ppid MASTER` (cache managers and loaders left out). */
export function workerPids(psOutput: string): number[] {
  return psOutput
    .split('\n')
    .map((l) => /^\s*(\d+)\s+nginx: worker process\b/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

const psArgv = (master: number) => ['ps', '-o', 'pid=,args=', '--ppid', String(master)];

function measured(results: readonly CommandResult[], pids: number[]): Pick<WorkerLimits, 'openFilesSoft' | 'openFilesHard' | 'openNow'> {
  let soft: number | null = null;
  let hard: number | null = null;
  let open: number | null = null;
  for (const pid of pids) {
    const limits = results.find((r) => r.argv[0] === 'cat' && r.argv.at(-1) === `/proc/${pid}/limits`);
    const limit = limits?.code === 0 ? openFilesLimit(limits.stdout) : null;
    if (limit?.soft != null && (soft === null || limit.soft < soft)) [soft, hard] = [limit.soft, limit.hard];
    const fds = results.find((r) => r.argv[0] === 'ls' && r.argv.at(-1) === `/proc/${pid}/fd`);
    if (fds?.code === 0) open = Math.max(open ?? 0, countFds(fds.stdout));
  }
  return { openFilesSoft: soft, openFilesHard: hard, openNow: open };
}

/**
 * worker_connections and the open-file limit of nginx's workers: what the config writes, what the running
 * workers really have (/proc/PID/limits), and how many descriptors they hold now.
 */
export const workerLimits = defineCheck({
  id: 'nginx.worker-limits',
  guide: 'worker-limits',
  outcomes: ['connections', 'open-files'],
  needs: ['nginx.config', 'nginx.masterPid', 'error.kind'],
  early: 'first-round',
  learns: ['worker.limits', 'limits.connections', 'limits.openFiles'],

  plan(facts, done) {
    const master = need(facts, 'nginx.masterPid');
    if (done.length === 0) return [{ argv: psArgv(master) }];
    if (done.length > 1) return [];
    const pids = workerPids(done[0]?.stdout ?? '').slice(0, MAX_WORKERS);
    return pids.flatMap((pid) => [{ argv: ['cat', '--', `/proc/${pid}/limits`] }, { argv: ['ls', '-1', '--', `/proc/${pid}/fd`] }]);
  },

  interpret(facts, results) {
    const config = configuredLimits(need(facts, 'nginx.config'));
    const pids = workerPids(results[0]?.stdout ?? '').slice(0, MAX_WORKERS);
    const limits: WorkerLimits = { ...config, ...measured(results, pids), workers: pids };
    const kind = need(facts, 'error.kind');
    const outcome = kind === 'too-many-open-files' ? 'open-files' : 'connections';
    const files =
      limits.openFilesSoft !== null
        ? `${limits.openFilesSoft} (soft limit of the running workers)`
        : limits.rlimitNofile !== null
          ? `${limits.rlimitNofile} (worker_rlimit_nofile)`
          : 'unknown (the workers could not be read)';
    const evidence: Evidence[] = [
      {
        lines: [
          `worker_connections ${config.connections}${config.connectionsPlace ? ` (${config.connectionsPlace.file}:${config.connectionsPlace.line})` : " (not written: nginx's default)"}`,
          config.rlimitNofile !== null
            ? `worker_rlimit_nofile ${config.rlimitNofile} (${config.rlimitPlace?.file}:${config.rlimitPlace?.line})`
            : 'worker_rlimit_nofile not written: workers keep the limit nginx was started with',
        ],
      },
      {
        command: shownCommand(psArgv(need(facts, 'nginx.masterPid'))),
        lines: pids.length ? [`workers: ${pids.join(', ')}`] : ['no worker process found'],
      },
    ];
    if (pids.length) {
      evidence.push({
        command: shownCommand(['cat', '--', `/proc/${pids[0]}/limits`], ['ls', '-1', '--', `/proc/${pids[0]}/fd`]),
        lines: [`open-file limit: ${limits.openFilesSoft ?? '?'} soft, ${limits.openFilesHard ?? '?'} hard`, `descriptors open now: ${limits.openNow ?? '?'} in the busiest worker`],
      });
    }
    const learned: KnownFacts = { 'worker.limits': limits, 'limits.connections': config.connections, 'limits.openFiles': files };
    const summary =
      outcome === 'connections'
        ? `each worker may hold ${config.connections} connections (clients and backends together) and they were all in use`
        : `the workers may open ${files} files and sockets, and ran out`;
    return { outcome, facts: learned, summary, evidence };
  },
});
