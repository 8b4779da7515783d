import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';
import { backendHost, backendUrl } from '../facts/backend-request.js';
import { readTimeout, suggestTimeout } from '../facts/timeouts.js';
import { routeOf } from '../facts/route.js';

const MAX_WAIT_SECONDS = 120;

function timeoutOf(facts: KnownFacts) {
  const route = routeOf(facts);
  if (!route) throw new Error('the request no longer routes anywhere');
  return readTimeout(route);
}

/** How long we wait for the backend ourselves: long enough to see it finish past nginx's timeout. */
export function waitSeconds(timeoutMs: number): number {
  return Math.min(MAX_WAIT_SECONDS, Math.ceil((timeoutMs * 3) / 1000) + 2);
}

/** Times the backend directly, bypassing nginx, and compares with the read timeout nginx applies. */
export const backendTiming = defineCheck({
  id: 'backend.timing',
  guide: 'timeouts',
  outcomes: ['slower-than-timeout', 'within-timeout', 'not-measurable', 'fastcgi'],
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'upstream.module', 'upstream.scheme', 'upstream.kind', 'route.location'],
  learns: ['timeout.directive', 'timeout.currentMs'],
  learnsOn: { 'slower-than-timeout': ['timeout.suggested', 'backend.responseMs'], 'within-timeout': ['backend.responseMs'] },

  plan(facts, done) {
    if (done.length || need(facts, 'upstream.module') !== 'proxy') return [];
    const { url, socket } = backendUrl(facts);
    const seconds = waitSeconds(timeoutOf(facts).ms);
    return [{ argv: httpProbeCommand(url, { timeoutSeconds: seconds, hostHeader: backendHost(facts), unixSocket: socket, insecure: true }), timeoutMs: (seconds + 5) * 1000 }];
  },

  interpret(facts, [run]) {
    const timeout = timeoutOf(facts);
    const where = timeout.place ? `${timeout.directive} ${timeout.ms / 1000}s (${timeout.place.file}:${timeout.place.line})` : `${timeout.directive} not set: nginx's default ${timeout.ms / 1000}s`;
    const learned: KnownFacts = { 'timeout.directive': timeout.directive, 'timeout.currentMs': timeout.ms };
    if (timeout.place) learned['timeout.place'] = timeout.place;
    if (!run && need(facts, 'upstream.module') === 'fastcgi') {
      return { outcome: 'fastcgi', facts: learned, summary: 'a FastCGI backend cannot be timed over HTTP: its own time limit decides instead', evidence: [{ lines: [where] }] };
    }
    if (!run) {
      return { outcome: 'not-measurable', facts: learned, summary: `cannot time a ${need(facts, 'upstream.module')} backend directly`, evidence: [{ lines: [where] }] };
    }
    const answer = parseHttpProbe(run);
    const waitedMs = waitSeconds(timeout.ms) * 1000;
    const evidence = [
      {
        command: shownCommand(run.argv),
        lines: [
          answer.status !== null ? `the backend answered ${answer.status} after ${answer.totalMs} ms` : `no answer within ${answer.totalMs} ms: ${answer.error ?? ''} ${answer.message ?? ''}`.trim(),
          where,
        ],
      },
    ];
    const took = answer.status !== null ? answer.firstByteMs : null;
    if (answer.status === null && answer.error !== 'timeout') {
      return { outcome: 'not-measurable', facts: learned, summary: 'the backend did not answer our direct request', evidence };
    }
    if (took === null || took >= timeout.ms) {
      return {
        outcome: 'slower-than-timeout',
        facts: { ...learned, 'timeout.suggested': suggestTimeout(took, timeout.ms, waitedMs), 'backend.responseMs': took ?? waitedMs },
        summary: `the backend needs ${took !== null ? `${took} ms` : `more than ${waitedMs} ms`}; nginx waits ${timeout.ms} ms`,
        evidence,
      };
    }
    return { outcome: 'within-timeout', facts: { ...learned, 'backend.responseMs': took }, summary: `the backend answers in ${took} ms, within the ${timeout.ms} ms timeout now`, evidence };
  },
});
