import type { FpmPool, KnownFacts } from '../facts/keys.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { suggestTimeout } from '../facts/timeouts.js';
import { parseNginxTime } from '../nginx/time.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { FPM_PS, fpmPlan, fpmPools, poolFor } from '../facts/php-fpm-pools.js';

/** request_terminate_timeout in ms: 0 when off (php-fpm's default); null when it cannot be read. */
export function terminateMs(pool: FpmPool | null): number | null {
  if (!pool) return null;
  const value = pool.values.request_terminate_timeout;
  if (value === undefined || value === '' || value === 'undefined') return 0;
  return parseNginxTime(value.trim());
}

export interface TimeoutVerdict {
  outcome: 'nginx-first' | 'fpm-first' | 'pool-unknown';
  bitesFirst: string;
  suggested: string;
}

/**
 * Which limit ends a slow PHP request first, and the fastcgi_read_timeout to suggest. The script's own
 * time cannot be measured over HTTP: nginx's replay only shows it took longer than the timeout.
 */
export function compareTimeouts(nginxMs: number, fpmMs: number | null, replayMs: number | null): TimeoutVerdict {
  const n = `${nginxMs / 1000}s`;
  if (fpmMs === null) {
    return { outcome: 'pool-unknown', bitesFirst: `nginx gives up after ${n}; php-fpm's own limit for this pool is unknown`, suggested: suggestTimeout(null, nginxMs, replayMs ?? nginxMs) };
  }
  if (fpmMs > 0 && fpmMs <= nginxMs) {
    return {
      outcome: 'fpm-first',
      bitesFirst: `php-fpm's request_terminate_timeout (${fpmMs / 1000}s) is no longer than nginx's ${n}: both end the request at about the same time`,
      suggested: suggestTimeout(null, nginxMs, replayMs ?? nginxMs),
    };
  }
  if (fpmMs > 0) {
    return { outcome: 'nginx-first', bitesFirst: `nginx gives up after ${n}, before php-fpm's request_terminate_timeout (${fpmMs / 1000}s) ends the script`, suggested: `${Math.ceil(fpmMs / 1000)}s` };
  }
  return {
    outcome: 'nginx-first',
    bitesFirst: `nginx gives up after ${n}; php-fpm sets no limit of its own (request_terminate_timeout 0)`,
    suggested: suggestTimeout(null, nginxMs, replayMs ?? nginxMs),
  };
}

/**
 * A FastCGI backend timed out: compares nginx's fastcgi_read_timeout with the php-fpm pool's
 * request_terminate_timeout, to say which limit ends a slow request first and what to raise.
 */
export const fastcgiTimeouts = defineCheck({
  id: 'fastcgi.timeouts',
  guide: 'timeouts',
  outcomes: ['nginx-first', 'fpm-first', 'pool-unknown'],
  needs: ['upstream.kind', 'upstream.target', 'timeout.directive', 'timeout.currentMs'],
  learns: ['fpm.terminateTimeout', 'timeout.bitesFirst', 'timeout.suggested'],

  // php-fpm's own settings live on the backend's box.
  plan: (_facts, done) => fpmPlan(done).map(onBackend),

  interpret(facts, results) {
    const { pools, evidence: poolEvidence } = fpmPools(results);
    const pool = poolFor(pools, facts);
    const fpmMs = terminateMs(pool);
    const nginxMs = need(facts, 'timeout.currentMs');
    const replayMs = facts['probe.ms'] ?? null;
    const verdict = compareTimeouts(nginxMs, fpmMs, replayMs);
    const blind = unseen(results.find((r) => r.argv.join(' ') === FPM_PS.join(' ')));
    const fpmText = blind
      ? "unknown (the backend's box was not examined)"
      : fpmMs === null
        ? 'unknown (no php-fpm pool listens where nginx dials)'
        : fpmMs === 0
          ? '0 (off: php-fpm lets a script run as long as it likes)'
          : `${fpmMs / 1000}s`;
    const where = pool?.places.request_terminate_timeout;
    const evidence: Evidence[] = [
      ...(blind ? [notExamined(need(facts, 'upstream.target'), "php-fpm's own request_terminate_timeout")] : poolEvidence),
      {
        lines: [
          `${need(facts, 'timeout.directive')} ${nginxMs / 1000}s${facts['timeout.place'] ? ` (${facts['timeout.place'].file}:${facts['timeout.place'].line})` : " (nginx's default)"}`,
          pool ? `pool [${pool.name}] request_terminate_timeout ${fpmText}${where ? ` (${where.file}:${where.line})` : ''}` : `no pool listens at ${need(facts, 'upstream.target')}`,
          ...(replayMs !== null ? [`our replay through nginx ended after ${replayMs} ms: the script runs longer than that`] : []),
        ],
      },
    ];
    const learned: KnownFacts = { 'fpm.terminateTimeout': fpmText, 'timeout.bitesFirst': verdict.bitesFirst, 'timeout.suggested': verdict.suggested };
    if (pool) learned['fpm.pool'] = pool;
    return { outcome: verdict.outcome, facts: learned, summary: verdict.bitesFirst, evidence };
  },
});
