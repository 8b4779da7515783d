import { readResponseHead, unescapeNginx } from '../system/http-head.js';
import { parseRawProbe } from '../system/raw-probe.js';
import { responseHeadProbe, uwsgiHeadProbe } from '../facts/backend-request.js';
import { isUwsgiHeadProbe, parseUwsgiHead } from '../system/uwsgi-probe.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { failedServer, upstreamPath } from '../facts/failed-server.js';

const KINDS_WITH_LINE = new Set(['invalid-header']);
/** How long the uwsgi head probe waits for the head. */
const UWSGI_READ_SECONDS = 3;

/**
 * nginx refused the backend's response. Read the response ourselves, byte for byte, and name the line
 * nginx cannot accept: that line is what the backend has to stop sending.
 */
export const backendResponse = defineCheck({
  id: 'backend.response',
  guide: 'backend-running',
  outcomes: ['malformed', 'logged-only', 'valid', 'not-probed'],
  needs: ['upstream.module', 'upstream.scheme', 'upstream.target', 'upstream.kind', 'request.path', 'request.hostHeader', 'error.latest', 'error.kind', 'error.detail'],
  learns: [],
  learnsOn: { malformed: ['response.badLine', 'response.problem'], 'logged-only': ['response.badLine', 'response.problem'] },

  plan(facts, done) {
    if (done.length) return [];
    if (need(facts, 'upstream.module') === 'uwsgi') return [uwsgiHeadProbe(facts, UWSGI_READ_SECONDS)];
    const probe = responseHeadProbe(facts);
    return probe ? [probe] : [];
  },

  interpret(facts, [run]) {
    const detail = KINDS_WITH_LINE.has(need(facts, 'error.kind')) ? (facts['error.detail'] ?? '') : '';
    const target = need(facts, 'upstream.target');
    const evidence: Evidence[] = [];
    if (detail) evidence.push({ lines: [`nginx refused the line that starts "${detail}"`] });
    if (run) {
      const uwsgi = isUwsgiHeadProbe(run);
      const probe = uwsgi ? parseUwsgiHead(run) : parseRawProbe(run);
      const head = readResponseHead(probe.bytes);
      const where = failedServer(facts)?.target ?? target;
      evidence.push({
        probe: uwsgi
          ? `a uwsgi request (GET ${upstreamPath(facts)}, as uwsgi_pass sends it) to ${where}, sent with python3, the answer's head read byte for byte`
          : `GET ${upstreamPath(facts)} HTTP/1.0 sent straight to ${where} (bash /dev/tcp), the raw answer read byte for byte`,
        lines: head.lines.length ? head.lines.slice(0, 12).map((l, i) => `${String(i + 1).padStart(2)}| ${l}`) : [probe.connected ? 'no answer' : 'could not connect'],
      });
      if (head.problem) {
        const expected = detail ? unescapeNginx(detail) : '';
        const agrees = !expected || unescapeNginx(head.problem.text).startsWith(expected);
        const badLine = `line ${head.problem.line}: ${head.problem.text}`;
        return {
          outcome: 'malformed',
          facts: { 'response.badLine': badLine, 'response.problem': `line ${head.problem.line} of the response head, "${head.problem.text}": ${head.problem.reason}` },
          summary: `the backend sends a response nginx cannot accept: ${badLine} (${head.problem.reason})`,
          evidence: agrees ? evidence : [...evidence, { lines: ['this is not the line nginx named: the backend answers differently now, or to different requests'] }],
        };
      }
      if (head.status !== null) {
        return { outcome: 'valid', facts: {}, summary: `the backend answers a valid response head now (${head.status})`, evidence };
      }
    }
    if (detail) {
      return {
        outcome: 'logged-only',
        facts: { 'response.badLine': detail, 'response.problem': `nginx shows the start of the line it refused: "${detail}" (control bytes as \\xHH; "..." is where nginx cut it)` },
        summary: `nginx refused a response header line starting "${detail}"`,
        evidence: [
          ...evidence,
          { lines: [run ? 'our own request got no answer to compare' : `a ${need(facts, 'upstream.module')} backend cannot be read raw from here: nginx's own line is the evidence`] },
        ],
      };
    }
    return { outcome: 'not-probed', facts: {}, summary: 'cannot read the backend response directly, and nginx did not show the line it refused', evidence };
  },
});
