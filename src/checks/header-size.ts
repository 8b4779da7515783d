import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import { effectiveBuffers, formatNginxSize, neededBufferSize, type Buffers } from '../nginx/buffers.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { backendHost, backendUrl } from '../facts/backend-request.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { routeOf } from '../facts/route.js';

const PROBE_SECONDS = 10;
const FALLBACK_PAGE = 4096;

function buffersOf(facts: KnownFacts, pageSize: number): Buffers {
  const route = routeOf(facts);
  if (!route) throw new Error('the request no longer routes anywhere');
  return effectiveBuffers(route, pageSize);
}

function describeCurrent(b: Buffers): string {
  const value = formatNginxSize(b.bufferSize.value);
  return b.bufferSize.set ? `${value}, set at ${b.bufferSize.set.file}:${b.bufferSize.set.line}` : `${value}, nginx's default of one memory page`;
}

/**
 * How big the backend's response header really is, asked directly with the failing request's path and
 * Host, against the header buffer (proxy_buffer_size or its FastCGI/uwsgi twin) of the failing location.
 */
export const headerSize = defineCheck({
  id: 'backend.header-size',
  guide: 'buffers',
  outcomes: ['too-big', 'fits-now', 'not-measurable'],
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'upstream.module', 'upstream.scheme', 'upstream.kind', 'route.location'],
  learns: ['system.pageSize', 'buffer.directive', 'buffer.current', 'buffer.suggested', 'headers.measured'],
  learnsOn: { 'too-big': ['headers.bytes'], 'fits-now': ['headers.bytes'] },

  plan(facts, done) {
    if (done.length) return [];
    const commands = [{ argv: ['getconf', 'PAGESIZE'] }];
    if (need(facts, 'upstream.module') !== 'proxy') return commands;
    const { url, socket } = backendUrl(facts);
    const probe = httpProbeCommand(url, { timeoutSeconds: PROBE_SECONDS, hostHeader: backendHost(facts), unixSocket: socket, insecure: true });
    return [...commands, { argv: probe, timeoutMs: (PROBE_SECONDS + 5) * 1000 }];
  },

  interpret(facts, results) {
    const pageRun = resultOf(results, 'getconf');
    const page = Number.parseInt(pageRun?.stdout.trim() ?? '', 10);
    const pageSize = pageRun?.code === 0 && page > 0 ? page : FALLBACK_PAGE;
    const b = buffersOf(facts, pageSize);
    const directive = `${b.module}_buffer_size`;
    const current = describeCurrent(b);
    const evidence: Evidence[] = [{ command: shownCommand(['getconf', 'PAGESIZE']), lines: [`memory page: ${pageSize} bytes`, `${directive} for this location: ${current}`] }];
    const learned = (bytes: number | null, measured: string): KnownFacts => ({
      'system.pageSize': pageSize,
      'buffer.directive': directive,
      'buffer.current': current,
      'buffer.suggested': formatNginxSize(neededBufferSize(bytes, b.bufferSize.value)),
      'headers.measured': measured,
      ...(bytes !== null ? { 'headers.bytes': bytes } : {}),
    });

    const run = resultOf(results, 'curl');
    const answer = run ? parseHttpProbe(run) : null;
    if (!run || !answer || answer.status === null || answer.headerBytes === null) {
      const why = !run
        ? `a ${b.module} backend cannot be asked over HTTP, so its header size is not measured`
        : `the backend did not answer our direct request (${answer?.message ?? answer?.error ?? 'no answer'}), so its header size is not measured`;
      if (run) evidence.push({ command: shownCommand(run.argv), lines: [why] });
      return { outcome: 'not-measurable', facts: learned(null, why), summary: `${why}; nginx says the header is too big for ${current}`, evidence };
    }
    const bytes = answer.headerBytes;
    evidence.push({ command: shownCommand(run.argv), lines: [`the backend answered ${answer.status} with ${bytes} bytes of response header`] });
    const measured = `the backend's response header for this request is ${bytes} bytes`;
    // The status line, every header and the blank line after them must fit in one buffer.
    if (bytes >= b.bufferSize.value) {
      return { outcome: 'too-big', facts: learned(bytes, measured), summary: `${bytes} bytes of header do not fit in ${directive} ${formatNginxSize(b.bufferSize.value)}`, evidence };
    }
    return { outcome: 'fits-now', facts: learned(bytes, measured), summary: `${bytes} bytes of header fit in ${directive} ${formatNginxSize(b.bufferSize.value)} for our request`, evidence };
  },
});
