import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { isStopped, PS_STATES } from '../system/ps-states.js';
import { defineCheck } from './check.js';
import { onBackend, unseen } from '../facts/backend-view.js';
import { describeHolders, holderHint, rootHolders, socketHolders, summarizeHolders } from '../facts/socket-holders.js';
import { need } from '../facts/need.js';
import { backendHost, backendUrl } from '../facts/backend-request.js';
import { readTimeout, suggestTimeout } from '../facts/timeouts.js';
import { routeOf } from '../facts/route.js';
import { failedServer, upstreamPath } from '../facts/failed-server.js';
import { parseUwsgiProbe, UWSGI_PROBE_MARK, uwsgiProbeCommand, uwsgiRequestVars } from '../system/uwsgi-probe.js';
import { describeQueue, parseListenQueues, queueFor } from '../system/listen-queue.js';

const MAX_WAIT_SECONDS = 120;
const SS = ['ss', '-Hltnxp'];
const ran = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => r.argv.join('\0') === argv.join('\0'));

/** The processes holding the socket nginx dials, when the backend's box was seen. */
function holdersOf(facts: KnownFacts, done: readonly CommandResult[]) {
  const ss = ran(done, SS);
  const ps = ran(done, PS_STATES);
  if (!ss || !ps || unseen(ss) || ss.code !== 0 || ps.code !== 0) return [];
  return socketHolders(facts, ss.stdout, ps.stdout);
}

/**
 * The accept queue of the dialled socket, from the same `ss` (its Recv-Q and Send-Q), when connections wait
 * in it: no worker took them. A backend whose every worker is busy leaves new connections there; one that
 * takes each request and then never answers (stuck, not busy) does not.
 */
function waitingQueue(facts: KnownFacts, done: readonly CommandResult[]) {
  const ss = ran(done, SS);
  const server = failedServer(facts);
  if (!ss || !server || unseen(ss) || ss.code !== 0) return null;
  const queue = queueFor(parseListenQueues(ss.stdout), server.kind === 'unix' ? { socket: server.socket } : { ip: server.host, port: server.port });
  return queue && queue.queued > 0 ? queue : null;
}

/** Our uwsgi request: python3 carrying the probe, with its mark in the script. */
const isUwsgiProbe = (r: CommandResult) => r.argv[4] === 'python3' && r.argv[6]?.includes(UWSGI_PROBE_MARK) === true;

function timeoutOf(facts: KnownFacts) {
  const route = routeOf(facts);
  if (!route) throw new Error('the request no longer routes anywhere');
  return readTimeout(route);
}

/** How long we wait for the backend ourselves: long enough to see it finish past nginx's timeout. */
export function waitSeconds(timeoutMs: number): number {
  return Math.min(MAX_WAIT_SECONDS, Math.ceil((timeoutMs * 3) / 1000) + 2);
}

/**
 * Times the backend directly, bypassing nginx, and compares with the read timeout nginx applies. A
 * backend whose processes are stopped (state T), or that never answers even when given well past
 * nginx's timeout (three times it, at most two minutes), is not slow: it is hung, and a longer timeout cannot help.
 */
export const backendTiming = defineCheck({
  id: 'backend.timing',
  guide: 'timeouts',
  outcomes: ['slower-than-timeout', 'within-timeout', 'not-measurable', 'fastcgi', 'stopped', 'never-answers', 'queued'],
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'upstream.module', 'upstream.scheme', 'upstream.kind', 'route.location'],
  learns: ['timeout.directive', 'timeout.currentMs'],
  learnsOn: {
    'slower-than-timeout': ['timeout.suggested', 'backend.responseMs'],
    'within-timeout': ['backend.responseMs'],
    stopped: ['backend.stoppedPids', 'backend.states', 'backend.hint'],
    'never-answers': ['backend.states', 'backend.hint'],
    queued: ['reach.queue', 'backend.states', 'backend.hint'],
  },

  // What holds the socket, and in which state, is read on the backend's box first: a stopped backend
  // needs no probe that would wait out three times nginx's timeout. The probe then waits on nginx's box.
  plan(facts, done) {
    if (!done.length) return [onBackend({ argv: SS }), onBackend({ argv: PS_STATES })];
    const module = need(facts, 'upstream.module');
    if (done.some((r) => r.argv[0] === 'curl' || isUwsgiProbe(r)) || (module !== 'proxy' && module !== 'uwsgi')) return [];
    const holders = holdersOf(facts, done);
    if (holders.length && holders.every(isStopped)) return [];
    const seconds = waitSeconds(timeoutOf(facts).ms);
    if (module === 'uwsgi') {
      const server = failedServer(facts);
      if (!server) return [];
      const target = server.kind === 'unix' ? { kind: 'unix' as const, socket: server.socket } : { kind: 'tcp' as const, host: server.host, port: server.port };
      return [{ argv: uwsgiProbeCommand(target, uwsgiRequestVars(upstreamPath(facts), backendHost(facts)), seconds), timeoutMs: (seconds + 5) * 1000 }];
    }
    const { url, socket } = backendUrl(facts);
    return [{ argv: httpProbeCommand(url, { timeoutSeconds: seconds, hostHeader: backendHost(facts), unixSocket: socket, insecure: true }), timeoutMs: (seconds + 5) * 1000 }];
  },

  interpret(facts, results) {
    const run = results.find((r) => r.argv[0] === 'curl' || isUwsgiProbe(r));
    const holders = holdersOf(facts, results);
    const states = describeHolders(holders);
    const timeout = timeoutOf(facts);
    const where = timeout.place ? `${timeout.directive} ${timeout.ms / 1000}s (${timeout.place.file}:${timeout.place.line})` : `${timeout.directive} not set: nginx's default ${timeout.ms / 1000}s`;
    const learned: KnownFacts = { 'timeout.directive': timeout.directive, 'timeout.currentMs': timeout.ms };
    if (timeout.place) learned['timeout.place'] = timeout.place;
    if (holders.length && holders.every(isStopped)) {
      const stopped = rootHolders(holders).map((h) => h.pid);
      return {
        outcome: 'stopped',
        facts: { ...learned, 'backend.stoppedPids': holders.map((h) => h.pid), 'backend.states': summarizeHolders(holders), 'backend.hint': holderHint(holders) },
        summary: `every process holding the backend's socket is stopped (pid ${stopped.join(', ')}): the kernel accepts connections, and nothing reads them`,
        evidence: [{ command: shownCommand(SS, PS_STATES), lines: states }, ...(run ? [{ command: shownCommand(run.argv), lines: [`no answer: ${parseHttpProbe(run).error ?? ''}`.trim()] }] : [])],
      };
    }
    if (!run && need(facts, 'upstream.module') === 'fastcgi') {
      return { outcome: 'fastcgi', facts: learned, summary: 'a FastCGI backend cannot be timed over HTTP: its own time limit decides instead', evidence: [{ lines: [where] }] };
    }
    if (!run) {
      return { outcome: 'not-measurable', facts: learned, summary: `cannot time a ${need(facts, 'upstream.module')} backend directly`, evidence: [{ lines: [where] }] };
    }
    const uwsgi = isUwsgiProbe(run);
    const answer = uwsgi ? parseUwsgiProbe(run) : parseHttpProbe(run);
    const waitedMs = waitSeconds(timeout.ms) * 1000;
    const evidence = [
      {
        ...(uwsgi ? { probe: `a uwsgi request (GET ${upstreamPath(facts)}, as uwsgi_pass sends it) to ${need(facts, 'upstream.target')}, sent with python3` } : { command: shownCommand(run.argv) }),
        lines: [
          answer.status !== null ? `the backend answered ${answer.status} after ${answer.totalMs} ms` : `no answer within ${answer.totalMs} ms: ${answer.error ?? ''} ${answer.message ?? ''}`.trim(),
          where,
        ],
      },
    ];
    if (answer.status === null && answer.error !== 'timeout') {
      return { outcome: 'not-measurable', facts: learned, summary: 'the backend did not answer our direct request', evidence };
    }
    if (answer.status === null) {
      const queue = waitingQueue(facts, results);
      if (states.length || queue) evidence.push({ command: shownCommand(SS, PS_STATES), lines: [...(queue ? [describeQueue(queue)] : []), ...states] });
      if (queue) {
        return {
          outcome: 'queued',
          facts: {
            ...learned,
            'reach.queue': describeQueue(queue),
            'backend.states': holders.length ? summarizeHolders(holders) : ['no process holding the socket could be named'],
            'backend.hint': holderHint(holders),
          },
          summary: `no worker took our request in ${waitedMs} ms, and ${queue.queued} connection(s) wait in the socket's queue: every worker is busy`,
          evidence,
        };
      }
      return {
        outcome: 'never-answers',
        facts: { ...learned, 'backend.states': holders.length ? summarizeHolders(holders) : ['no process holding the socket could be named'], 'backend.hint': holderHint(holders) },
        summary: `the backend accepted our request and sent nothing in ${waitedMs} ms, ${(waitedMs / timeout.ms).toFixed(1)} times nginx's timeout: it is stuck, not slow`,
        evidence,
      };
    }
    const took = answer.firstByteMs ?? answer.totalMs ?? 0;
    if (took >= timeout.ms) {
      return {
        outcome: 'slower-than-timeout',
        facts: { ...learned, 'timeout.suggested': suggestTimeout(took, timeout.ms, waitedMs), 'backend.responseMs': took },
        summary: `the backend needs ${took} ms; nginx waits ${timeout.ms} ms`,
        evidence,
      };
    }
    return { outcome: 'within-timeout', facts: { ...learned, 'backend.responseMs': took }, summary: `the backend answers in ${took} ms, within the ${timeout.ms} ms timeout now`, evidence };
  },
});
