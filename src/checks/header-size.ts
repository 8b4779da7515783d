import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import { effectiveBuffers, formatNginxSize, neededBufferSize, type Buffers } from '../nginx/buffers.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { fcgiProbeCommand, parseFcgiProbe } from '../system/fcgi-probe.js';
import { isUwsgiHeadProbe, parseUwsgiHead } from '../system/uwsgi-probe.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { backendHost, backendUrl, passedParams, passTarget, uwsgiHeadProbe, uwsgiVarsSent } from '../facts/backend-request.js';
import { upstreamPath } from '../facts/failed-server.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { routeOf } from '../facts/route.js';

const PROBE_SECONDS = 10;
const FALLBACK_PAGE = 4096;
/** The fcgi probe's own limits (8 s per client) plus room to start. */
const FCGI_TIMEOUT_MS = 15_000;

function buffersOf(facts: KnownFacts, pageSize: number): Buffers {
  const route = routeOf(facts);
  if (!route) throw new Error('the request no longer routes anywhere');
  return effectiveBuffers(route, pageSize);
}

function fcgiProbe(facts: KnownFacts): CommandSpec | null {
  const route = routeOf(facts);
  if (!route?.params?.length) return null;
  return { argv: fcgiProbeCommand(passTarget(facts), passedParams(route, facts)), timeoutMs: FCGI_TIMEOUT_MS };
}

const isFcgiProbe = (r: CommandResult) => r.argv.includes('fcgi-probe');

function uwsgiProbeWords(facts: KnownFacts): string {
  const target = passTarget(facts);
  const where = target.kind === 'unix' ? `unix:${target.socket}` : `${target.host}:${target.port}`;
  return `a uwsgi request to ${where} as uwsgi_pass sends it (GET ${upstreamPath(facts)}, ${uwsgiVarsSent(facts).length} vars), sent by python3 on the box, the answer's head read byte for byte`;
}

/** What the probe sent, in words: where, the script, and how. */
function fcgiProbeWords(facts: KnownFacts, client: string | null): string {
  const route = routeOf(facts);
  const script = route ? passedParams(route, facts).find(([name]) => name === 'SCRIPT_FILENAME')?.[1] : undefined;
  const target = passTarget(facts);
  const where = target.kind === 'unix' ? `unix:${target.socket}` : `${target.host}:${target.port}`;
  return `a FastCGI request to ${where} with the params nginx sends for this location${script ? ` (SCRIPT_FILENAME=${script})` : ''}${client ? `, sent by ${client} on the box` : ''}`;
}

function describeCurrent(b: Buffers): string {
  const value = formatNginxSize(b.bufferSize.value);
  return b.bufferSize.set ? `${value}, set at ${b.bufferSize.set.file}:${b.bufferSize.set.line}` : `${value}, nginx's default of one memory page`;
}

/**
 * How big the backend's response header really is, asked directly with the failing request's path and
 * Host (a FastCGI backend over FastCGI, with the params nginx sends), against the header buffer
 * (proxy_buffer_size or its FastCGI/uwsgi twin) of the failing location.
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
    const commands: CommandSpec[] = [{ argv: ['getconf', 'PAGESIZE'] }];
    if (need(facts, 'upstream.module') === 'fastcgi') {
      const probe = fcgiProbe(facts);
      return probe ? [...commands, probe] : commands;
    }
    if (need(facts, 'upstream.module') === 'uwsgi') return [...commands, uwsgiHeadProbe(facts, PROBE_SECONDS)];
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

    const fcgiRun = results.find(isFcgiProbe);
    if (fcgiRun) {
      const answer = parseFcgiProbe(fcgiRun);
      const probe = fcgiProbeWords(facts, answer.client);
      if (answer.headBytes === null) {
        const why = `${answer.problem ?? 'no complete response head came back'}, so the FastCGI response head is not measured`;
        evidence.push({ probe, lines: [why] });
        return { outcome: 'not-measurable', facts: learned(null, why), summary: `${why}; nginx says the header is too big for ${current}`, evidence };
      }
      const bytes = answer.headBytes;
      const lines = [
        `the backend answered${answer.status !== null ? ` status ${answer.status}` : ''} with ${answer.headLines.length} header lines: ${bytes} bytes of FastCGI response head (record headers included${answer.stderrBytes ? `; ${answer.stderrBytes} of them PHP's messages on FastCGI stderr before it, which nginx keeps in the same buffer when they arrive with the head` : ''})`,
        ...summarizeHead(answer.headLines),
      ];
      if (answer.stderr) lines.push(`on FastCGI stderr: ${answer.stderr.split('\n')[0]}`);
      evidence.push({ probe, lines });
      const measured = `the backend's FastCGI response head for this request is ${bytes} bytes`;
      if (bytes > b.bufferSize.value) {
        return { outcome: 'too-big', facts: learned(bytes, measured), summary: `${bytes} bytes of FastCGI response head do not fit in ${directive} ${formatNginxSize(b.bufferSize.value)}`, evidence };
      }
      return {
        outcome: 'fits-now',
        facts: learned(bytes, measured),
        summary: `${bytes} bytes of FastCGI response head fit in ${directive} ${formatNginxSize(b.bufferSize.value)} for our request`,
        evidence,
      };
    }

    const uwsgiRun = results.find(isUwsgiHeadProbe);
    if (uwsgiRun) {
      const head = parseUwsgiHead(uwsgiRun);
      const probe = uwsgiProbeWords(facts);
      if (head.headBytes === null) {
        const why = `${uwsgiHeadProblem(head.end, head.message, head.bytes.length)}, so the response head is not measured`;
        evidence.push({ probe, lines: [why] });
        return { outcome: 'not-measurable', facts: learned(null, why), summary: `${why}; nginx says the header is too big for ${current}`, evidence };
      }
      const bytes = head.headBytes;
      const lines = new TextDecoder('latin1').decode(head.bytes.slice(0, bytes)).split(/\r?\n/).filter(Boolean);
      evidence.push({
        probe,
        lines: [`the backend answered "${lines[0] ?? ''}" with ${lines.length - 1} header lines: ${bytes} bytes of response head`, ...summarizeHead(lines.slice(1))],
      });
      const measured = `the backend's response head for this request is ${bytes} bytes`;
      if (bytes > b.bufferSize.value) {
        return { outcome: 'too-big', facts: learned(bytes, measured), summary: `${bytes} bytes of response head do not fit in ${directive} ${formatNginxSize(b.bufferSize.value)}`, evidence };
      }
      return { outcome: 'fits-now', facts: learned(bytes, measured), summary: `${bytes} bytes of response head fit in ${directive} ${formatNginxSize(b.bufferSize.value)} for our request`, evidence };
    }

    const run = resultOf(results, 'curl');
    const answer = run ? parseHttpProbe(run) : null;
    if (!run || !answer || answer.status === null || answer.headerBytes === null) {
      const why = !run
        ? b.module === 'fastcgi'
          ? 'no fastcgi_param lines are known for this location, so the FastCGI request nginx sends cannot be made and its header size is not measured'
          : `a ${b.module} backend cannot be asked over HTTP, so its header size is not measured`
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

/** Why no complete head came back from a uwsgi backend, in words. */
function uwsgiHeadProblem(end: string, message: string | undefined, got: number): string {
  if (end === 'no-python') return 'python3 is not on the box to send a uwsgi request';
  if (end === 'connect-failed') return `the backend refused our uwsgi request (${message ?? 'no connection'})`;
  if (end === 'quiet') return `the backend sent ${got} bytes and then nothing within ${PROBE_SECONDS} s, without ending its head`;
  if (end === 'limit') return `the backend sent ${got} bytes without ending its head`;
  if (end === 'closed' || end === 'reset') return `the backend ${end === 'reset' ? 'reset' : 'closed'} the connection after ${got} bytes, before its head ended`;
  return `our uwsgi request failed (${message ?? 'no answer'})`;
}

/** The head's lines grouped by header name, biggest first, for the evidence: "Set-Cookie: 40 lines, 8642 bytes". */
export function summarizeHead(lines: readonly string[]): string[] {
  const groups = new Map<string, { name: string; n: number; bytes: number }>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : line.slice(0, 40);
    const group = groups.get(name.toLowerCase()) ?? { name, n: 0, bytes: 0 };
    group.n += 1;
    group.bytes += line.length + 2;
    groups.set(name.toLowerCase(), group);
  }
  return [...groups.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5)
    .map((g) => `${g.name}: ${g.n} line${g.n === 1 ? '' : 's'}, ${g.bytes} bytes`);
}
