/**
 * Proof that the fix worked: the failing request sent through nginx again answers something other than
 * 502/504, and nginx wrote no new upstream error for it while answering (the log's new bytes, read the
 * way the error-log step reads them).
 */
import { need } from '../../facts/need.js';
import { readTimeout } from '../../facts/timeouts.js';
import { routeOf } from '../../facts/route.js';
import { throughNginx } from '../../facts/through-nginx.js';
import type { KnownFacts, UpstreamError } from '../../facts/keys.js';
import { newestFor, parseErrorLog } from '../../nginx/error-log.js';
import { logParts, replayAndReadCommand } from '../../nginx/replay-and-read.js';
import { parseHttpProbe } from '../../system/http-probe.js';
import type { Box } from './box.js';

export interface Verification {
  ok: boolean;
  request: string;
  status: number | null;
  ms: number | null;
  /** The upstream error nginx wrote for this request during the replay, if any. */
  errorLine: string | null;
  attempts: number;
  summary: string;
}

const FAILED = new Set([502, 504]);
const ATTEMPTS = 3;
const PAUSE_MS = 700;

/** Long enough for a backend that is slow but now allowed to be: the route's read timeout, or the new one. */
function replaySeconds(facts: KnownFacts): number {
  const route = routeOf(facts);
  const current = route ? readTimeout(route).ms : 60_000;
  const suggested = Number.parseInt(facts['timeout.suggested'] ?? '', 10);
  const wanted = Math.max(current / 1000, Number.isFinite(suggested) ? suggested : 0);
  return Math.min(Math.ceil(wanted) + 5, 120);
}

/** An error line written for our replay: one naming this request, or one for a client dropped before it was read. */
function freshError(fresh: UpstreamError[], facts: KnownFacts): UpstreamError | null {
  const filter = { host: need(facts, 'request.hostHeader'), path: need(facts, 'request.path'), port: need(facts, 'request.port') };
  return newestFor(fresh, filter) ?? [...fresh].reverse().find((e) => e.request === undefined && (e.kind === 'worker-connections' || e.kind === 'too-many-open-files')) ?? null;
}

async function once(box: Box, facts: KnownFacts, signal?: AbortSignal): Promise<Omit<Verification, 'attempts'>> {
  const log = facts['route.errorLog'] ?? null;
  const request = `${facts['request.method'] ?? 'GET'} ${need(facts, 'request.url')}`;
  const replaySpec = throughNginx(facts, replaySeconds(facts));
  // With the log known, one command sends the request and reads what nginx appended meanwhile.
  const both = log ? await box.run(replayAndReadCommand(log, 0, replaySpec), signal) : null;
  const parts = both && log ? logParts(both, log, 0, replaySpec) : null;
  const replay = parseHttpProbe(parts?.replay ?? (await box.run(replaySpec, signal)));
  const appended = parts?.appended;
  const error: UpstreamError | null = appended?.code === 0 ? freshError(parseErrorLog(appended.stdout), facts) : null;
  const answered = replay.status !== null && !FAILED.has(replay.status);
  const ok = answered && error === null;
  const said = replay.status !== null ? `nginx answered ${replay.status} after ${replay.totalMs ?? '?'} ms` : `no answer from nginx: ${replay.message ?? replay.error ?? 'curl failed'}`;
  return {
    ok,
    request,
    status: replay.status,
    ms: replay.totalMs,
    errorLine: error?.line ?? null,
    summary: error ? `${said}, and logged: ${error.message}` : log ? `${said}; no new upstream error in ${log}` : said,
  };
}

/** The replay, tried a few times: a backend just started or a reload just done may need a moment. */
export async function verifyRequest(box: Box, facts: KnownFacts, signal?: AbortSignal): Promise<Verification> {
  let last: Omit<Verification, 'attempts'> | null = null;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, PAUSE_MS));
    if (signal?.aborted) break;
    last = await once(box, facts, signal);
    if (last.ok) return { ...last, attempts: attempt };
  }
  const final = last ?? {
    ok: false,
    request: `${facts['request.method'] ?? 'GET'} ${facts['request.url'] ?? ''}`,
    status: null,
    ms: null,
    errorLine: null,
    summary: 'interrupted before the request was sent',
  };
  return { ...final, attempts: ATTEMPTS };
}
