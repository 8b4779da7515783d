import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { HOST_NOW, nginxTime } from '../system/backend-logs.js';
import { maxChildrenWarnings, memAvailableKb, poolWorkerRss, suggestMaxChildren } from '../system/fpm-log.js';
import { shownCommand } from '../shell/quote.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { FPM_PS, fpmPlan, fpmPools, poolFor, poolHint } from '../facts/php-fpm-pools.js';
import { need } from '../facts/need.js';

const MEMINFO = ['cat', '--', '/proc/meminfo'];
const RSS = ['ps', '-eo', 'rss=,args='];
const TAIL_BYTES = 256 * 1024;
/** A warning this recent still explains a timeout now: the queue it describes drains slowly. */
const RECENT_MS = 15 * 60_000;

const tailOf = (file: string) => ['tail', '-c', String(TAIL_BYTES), '--', file];
const ran = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => r.argv.join('\0') === argv.join('\0'));

/**
 * A PHP request timed out: is the pool simply out of children? php-fpm says so in its own log ("server
 * reached pm.max_children setting"); then the request waited in the socket's queue for a free child, and
 * a longer timeout only lets the queue grow. The pool's settings, its log, its children's memory and the
 * memory free on the box size the fix.
 */
export const fpmSaturation = defineCheck({
  id: 'fpm.saturation',
  guide: 'backend-running',
  outcomes: ['saturated', 'room'],
  needs: ['upstream.kind', 'upstream.target'],
  learns: [],
  learnsOn: { saturated: ['fpm.pool', 'fpm.maxChildren', 'fpm.suggestedChildren', 'fpm.saturation', 'backend.hint'] },

  // php-fpm's pools, log and memory are the backend's box's.
  plan(facts, done) {
    const pools = fpmPlan(done);
    if (pools.length) return pools.map(onBackend);
    if (unseen(ran(done, FPM_PS))) return [];
    const pool = poolFor(fpmPools(done).pools, facts);
    if (!pool) return [];
    const wanted = [HOST_NOW, MEMINFO, RSS, ...(pool.errorLog ? [tailOf(pool.errorLog)] : [])];
    return wanted.filter((argv) => !ran(done, argv)).map((argv) => onBackend({ argv }));
  },

  interpret(facts, results) {
    if (unseen(ran(results, FPM_PS))) {
      return { outcome: 'room', facts: {}, summary: "the backend's box was not examined", evidence: [notExamined(need(facts, 'upstream.target'), "php-fpm's pools and log")] };
    }
    const pool = poolFor(fpmPools(results).pools, facts);
    if (!pool) return { outcome: 'room', facts: {}, summary: `no php-fpm pool listens at ${need(facts, 'upstream.target')}`, evidence: [] };
    const now = nginxTime(ran(results, HOST_NOW)?.stdout ?? '');
    const log = pool.errorLog ? ran(results, tailOf(pool.errorLog)) : undefined;
    const year = new Date(now ?? Date.now()).getUTCFullYear();
    const warnings = log?.code === 0 ? maxChildrenWarnings(log.stdout, year).filter((w) => w.pool === pool.name) : [];
    const recent = warnings.filter((w) => now === null || w.time === null || now - w.time <= RECENT_MS);
    const limit = Number(pool.values['pm.max_children'] ?? recent.at(-1)?.limit ?? 0);
    const rss = poolWorkerRss(ran(results, RSS)?.stdout ?? '', pool.name);
    const available = memAvailableKb(ran(results, MEMINFO)?.stdout ?? '');
    const where = pool.places['pm.max_children'];
    const evidence: Evidence[] = [
      {
        ...(log ? { command: shownCommand(log.argv) } : {}),
        lines: recent.length
          ? [...recent.slice(-3).map((w) => w.line), `${recent.length} time${recent.length === 1 ? '' : 's'} in the last 15 minutes`]
          : [pool.errorLog ? `no "server reached pm.max_children" for pool ${pool.name} in the last 15 minutes` : `pool ${pool.name}'s php-fpm has no error_log to read`],
      },
      {
        command: shownCommand(RSS, MEMINFO),
        lines: [
          `pool ${pool.name}: pm ${pool.values.pm ?? '?'}, pm.max_children ${pool.values['pm.max_children'] ?? '?'}${where ? ` (${where.file}:${where.line})` : ''}; ${rss.length} children now`,
          ...(rss.length ? [`each child uses about ${Math.round(rss.reduce((a, b) => a + b, 0) / rss.length / 1024)} MB`] : []),
          ...(available !== null ? [`${Math.round(available / 1024)} MB of memory available on the box`] : []),
        ],
      },
    ];
    if (!recent.length || !limit) {
      return { outcome: 'room', facts: {}, summary: `pool ${pool.name} did not run out of children lately`, evidence };
    }
    const suggested = suggestMaxChildren(limit, rss, available);
    const learned: KnownFacts = {
      'fpm.pool': pool,
      'fpm.maxChildren': limit,
      'fpm.suggestedChildren': suggested,
      'fpm.saturation': `${recent.at(-1)?.line} (${recent.length} time${recent.length === 1 ? '' : 's'} in the last 15 minutes)`,
      'backend.hint': poolHint(pool),
    };
    return {
      outcome: 'saturated',
      facts: learned,
      summary: `pool ${pool.name} is out of children: all ${limit} were busy and requests waited in the socket's queue until nginx gave up`,
      evidence,
    };
  },
});
