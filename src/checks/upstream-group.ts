import { shownCommand } from '../shell/quote.js';
import type { GroupServer, KnownFacts } from '../facts/keys.js';
import type { CommandSpec } from '../hosts/host.js';
import { newestFor, parseErrorLog } from '../nginx/error-log.js';
import type { UpstreamServer } from '../nginx/route.js';
import { parseListenQueues, queueFor, SS_QUEUES } from '../system/listen-queue.js';
import { parseTcpProbe, tcpProbeCommand } from '../system/tcp-probe.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { routeOf } from '../facts/route.js';
import { tailCommand } from '../system/tail.js';

const MAX_SERVERS = 8;
const PROBE_SECONDS = 2;

function serversOf(facts: KnownFacts): UpstreamServer[] {
  return (routeOf(facts)?.pass?.servers ?? []).slice(0, MAX_SERVERS);
}

function param(params: string[], name: string): string | undefined {
  return params.find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1);
}

/** max_fails and fail_timeout as nginx applies them (defaults 1 and 10s); max_fails=0 never marks a server failed. */
export function failPolicy(params: string[]): { maxFails: number; failTimeout: string; backup: boolean; down: boolean } {
  const maxFails = Number.parseInt(param(params, 'max_fails') ?? '1', 10);
  return { maxFails: Number.isFinite(maxFails) ? maxFails : 1, failTimeout: param(params, 'fail_timeout') ?? '10s', backup: params.includes('backup'), down: params.includes('down') };
}

function describeServer(s: GroupServer): string {
  const policy = s.down ? 'marked down in the config' : `max_fails=${s.maxFails} fail_timeout=${s.failTimeout}${s.backup ? ' backup' : ''}`;
  return `server ${s.target} (${s.place.file}:${s.place.line}) ${policy}: ${s.probe} now${s.lastError ? `; nginx last logged: ${s.lastError}` : ''}`;
}

const FAILING = (s: GroupServer) => s.down || !['open', 'listening'].includes(s.probe);

/**
 * Every server of the upstream group: does it accept connections now, and what did nginx log about it
 * before it gave up on the whole group? "no live upstreams" means nginx had marked each one failed.
 */
export const upstreamServers = defineCheck({
  id: 'upstream.servers',
  guide: 'upstream-config',
  outcomes: ['servers-failing', 'servers-accept'],
  needs: ['nginx.config', 'route.errorLog', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  learns: ['group.servers'],

  plan(facts, done) {
    if (done.length) return [];
    const probes = serversOf(facts)
      .filter((s) => s.kind === 'tcp' && s.host !== undefined && s.port !== undefined)
      .map((s): CommandSpec => ({ argv: tcpProbeCommand(s.host as string, s.port as number, PROBE_SECONDS), timeoutMs: (PROBE_SECONDS + 3) * 1000 }));
    return [{ argv: tailCommand(need(facts, 'route.errorLog')) }, { argv: SS_QUEUES }, ...probes];
  },

  interpret(facts, results) {
    const log = need(facts, 'route.errorLog');
    const tail = resultOf(results, 'tail');
    const errors = tail?.code === 0 ? parseErrorLog(tail.stdout).filter((e) => e.kind !== 'no-live-upstreams') : [];
    const queues = parseListenQueues(resultOf(results, ...SS_QUEUES)?.stdout ?? '');
    const group = routeOf(facts)?.pass?.group ?? null;
    const servers: GroupServer[] = serversOf(facts).map((s) => {
      let probe: string;
      if (s.kind === 'unix') probe = queueFor(queues, { socket: s.socket ?? '' }) ? 'listening' : 'not-listening';
      else {
        const run = results.find((r) => r.argv[0] === 'timeout' && r.argv.at(-2) === s.host?.replace(/^\[|\]$/g, '') && r.argv.at(-1) === String(s.port));
        probe = run ? parseTcpProbe(run) : 'not probed';
      }
      const last = newestFor(errors, { upstream: s.target });
      return { target: s.target, params: s.params, place: { file: s.file, line: s.line }, probe, lastError: last ? `${last.time} ${last.message}` : null, ...failPolicy(s.params) };
    });
    const evidence: Evidence[] = [
      { lines: servers.map(describeServer), note: `the servers of ${group ? `upstream ${group}` : 'this proxy_pass'}, probed from this box` },
      {
        ...(tail ? { command: shownCommand(tail.argv) } : { probe: `the end of ${log}` }),
        lines: errors.length ? [`${errors.length} earlier upstream error(s) in the log; the newest for each server is shown above`] : ['no earlier upstream errors for these servers in the log'],
      },
    ];
    const failing = servers.filter(FAILING);
    if (failing.length) {
      return {
        outcome: 'servers-failing',
        facts: { 'group.servers': servers },
        summary: `${failing.length} of ${servers.length} server(s) of ${group ?? 'the group'} fail now: ${failing.map((s) => `${s.target} ${s.down ? 'down in config' : s.probe}`).join(', ')}`,
        evidence,
      };
    }
    return {
      outcome: 'servers-accept',
      facts: { 'group.servers': servers },
      summary: `every server of ${group ?? 'the group'} accepts connections now; nginx had marked them all failed after earlier errors`,
      evidence,
    };
  },
});
