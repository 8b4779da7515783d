import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { backendHost, backendUrl, passedParams, passTarget, uwsgiVarsSent } from '../facts/backend-request.js';
import { fcgiProbeCommand, parseFcgiProbe } from '../system/fcgi-probe.js';
import { parseUwsgiProbe, uwsgiProbeCommand } from '../system/uwsgi-probe.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';
import { readTimeout } from '../facts/timeouts.js';
import { routeOf } from '../facts/route.js';

/** Statuses a backend sends when it is itself a gateway that failed: nginx passes them on as they are. */
const GATEWAY_FAILURES = new Set([502, 504]);

function probeSeconds(facts: KnownFacts): number {
  const route = routeOf(facts);
  const timeout = route ? readTimeout(route).ms : 60_000;
  return Math.min(Math.ceil(timeout / 1000) + 2, 30);
}

/** The fcgi probe's own limits (8 s per client) plus room to start. */
const FCGI_TIMEOUT_MS = 20_000;

/**
 * The same request in the protocol nginx speaks to a FastCGI or uwsgi backend (the params or vars nginx sends);
 * null when nginx speaks another one, or the route that gives the params is not known.
 */
function ownProtocolProbe(facts: KnownFacts): CommandSpec | null {
  const module = need(facts, 'upstream.module');
  const route = routeOf(facts);
  if (module === 'fastcgi' && route) return { argv: fcgiProbeCommand(passTarget(facts), passedParams(route, facts)), timeoutMs: FCGI_TIMEOUT_MS };
  const seconds = probeSeconds(facts);
  if (module === 'uwsgi') return { argv: uwsgiProbeCommand(passTarget(facts), uwsgiVarsSent(facts), seconds), timeoutMs: (seconds + 5) * 1000 };
  return null;
}

/** The status a FastCGI or uwsgi backend answered our request with; null when none came. */
function ownProtocolStatus(module: string, run: CommandResult): number | null {
  if (module === 'fastcgi') {
    const answer = parseFcgiProbe(run);
    return answer.complete ? answer.status : null;
  }
  return parseUwsgiProbe(run).status;
}

/**
 * The request failed and nginx logged no upstream error: ask the backend itself, with the same path and
 * Host (a FastCGI or uwsgi backend in its own protocol, only to see whether it answers 502 itself). A backend that answers 502 on its own made the 502; nginx only passed it on. One that refuses
 * or never answers our request failed nginx's too, and nginx's line was only hidden (an error_log
 * level above error): the diagnosis goes on from what our request met, as from nginx's line.
 */
export const backendDirect = defineCheck({
  id: 'backend.direct',
  guide: 'backend-running',
  outcomes: ['backend-502', 'backend-ok', 'not-measurable', 'refused', 'no-answer', 'socket'],
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'upstream.module', 'upstream.scheme', 'upstream.kind', 'upstream.target'],
  learns: [],
  learnsOn: { 'backend-502': ['backend.directStatus'], 'backend-ok': ['backend.directStatus'] },

  plan(facts, done) {
    if (done.length) return [];
    if (need(facts, 'upstream.module') !== 'proxy') {
      const probe = ownProtocolProbe(facts);
      return probe ? [probe] : [];
    }
    const { url, socket } = backendUrl(facts);
    const seconds = probeSeconds(facts);
    return [{ argv: httpProbeCommand(url, { timeoutSeconds: seconds, hostHeader: backendHost(facts), unixSocket: socket, insecure: true }), timeoutMs: (seconds + 5) * 1000 }];
  },

  interpret(facts, [run]) {
    const target = need(facts, 'upstream.target');
    const module = need(facts, 'upstream.module');
    if (run && module !== 'proxy') {
      const status = ownProtocolStatus(module, run);
      if (status !== null && GATEWAY_FAILURES.has(status)) {
        const lines = [`${target} answered ${status} itself to our ${module} request (the params nginx sends for this request)`];
        return {
          outcome: 'backend-502',
          facts: { 'backend.directStatus': status },
          summary: `the backend itself answers ${status}: nginx only passes it on`,
          evidence: [{ command: shownCommand(run.argv), lines }],
        };
      }
    }
    // A FastCGI or uwsgi answer other than 502 says nothing of the socket nginx's workers meet: it is examined as before.
    if (module !== 'proxy' && need(facts, 'upstream.kind') === 'unix') {
      return {
        outcome: 'socket',
        facts: {},
        summary: `a ${need(facts, 'upstream.module')} backend cannot be asked over HTTP; its socket can be looked at`,
        evidence: [{ lines: [`nginx talks ${need(facts, 'upstream.module')} to ${target}; curl cannot send it the same request, so the socket itself is examined`] }],
      };
    }
    if (!run || module !== 'proxy') {
      return {
        outcome: 'not-measurable',
        facts: {},
        summary: `a ${need(facts, 'upstream.module')} backend cannot be asked over HTTP directly`,
        evidence: [{ lines: [`nginx talks ${need(facts, 'upstream.module')} to ${target}; curl cannot send it the same request`] }],
      };
    }
    const answer = parseHttpProbe(run);
    const command = shownCommand(run.argv);
    const met = answer.error === 'refused' ? 'refused' : answer.error === 'timeout' ? 'no-answer' : null;
    if (answer.status === null && met) {
      return {
        outcome: met,
        facts: {},
        summary: `our direct request to ${target} failed too (${answer.message ?? answer.error}): nginx's failure was the same, and its line was not logged`,
        evidence: [{ command, lines: [`no answer from ${target}: ${answer.message ?? answer.error ?? ''}`.trim()] }],
      };
    }
    if (answer.status === null) {
      return {
        outcome: 'not-measurable',
        facts: {},
        summary: `the backend did not answer our direct request: ${answer.message ?? answer.error ?? 'no answer'}`,
        evidence: [{ command, lines: [`no answer from ${target}: ${answer.message ?? answer.error ?? ''}`.trim()] }],
      };
    }
    const evidence = [{ command, lines: [`${target} answered ${answer.status} itself after ${answer.totalMs} ms, with ${answer.headerBytes ?? '?'} bytes of header`] }];
    if (GATEWAY_FAILURES.has(answer.status)) {
      return { outcome: 'backend-502', facts: { 'backend.directStatus': answer.status }, summary: `the backend itself answers ${answer.status}: nginx only passes it on`, evidence };
    }
    return { outcome: 'backend-ok', facts: { 'backend.directStatus': answer.status }, summary: `the backend answers ${answer.status} when asked directly`, evidence };
  },
});
