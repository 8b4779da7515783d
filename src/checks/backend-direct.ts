import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { backendHost, backendUrl } from '../facts/backend-request.js';
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

/**
 * The request failed and nginx logged no upstream error: ask the backend itself, with the same path and
 * Host. A backend that answers 502 on its own made the 502; nginx only passed it on. One that refuses
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
    if (done.length || need(facts, 'upstream.module') !== 'proxy') return [];
    const { url, socket } = backendUrl(facts);
    const seconds = probeSeconds(facts);
    return [{ argv: httpProbeCommand(url, { timeoutSeconds: seconds, hostHeader: backendHost(facts), unixSocket: socket, insecure: true }), timeoutMs: (seconds + 5) * 1000 }];
  },

  interpret(facts, [run]) {
    const target = need(facts, 'upstream.target');
    if (!run && need(facts, 'upstream.kind') === 'unix') {
      return {
        outcome: 'socket',
        facts: {},
        summary: `a ${need(facts, 'upstream.module')} backend cannot be asked over HTTP; its socket can be looked at`,
        evidence: [{ lines: [`nginx talks ${need(facts, 'upstream.module')} to ${target}; curl cannot send it the same request, so the socket itself is examined`] }],
      };
    }
    if (!run) {
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
