import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../../src/args.js';
import { CAUSES } from '../../../src/causes.js';
import { findScenario, menu, SCENARIOS } from '../../../src/live/scenarios.js';
import { missingFor, STACK_KINDS } from '../../../src/live/stack-kinds.js';
import { clock, type Findings, passed, score, verdict } from '../../../src/live/verdict.js';

const names = { url: 'http://shop.example/', otherUrl: 'http://status.example/', boot: 'supervisord -c /etc/supervisor/supervisord.conf; nginx' };
const fixed: Findings = { status: 200, configTest: { ok: true, said: '' }, otherSite: 200, durable: { restartFailed: null, status: 200 } };

describe('practice --live on the command line', () => {
  it('reads --live with a scenario, and with --list [--json]; plain practice stays as it was', () => {
    expect(parseArgs(['practice', '--live', 'shop-after-deploy'])).toEqual({ kind: 'practice', list: false, json: false, incident: 'shop-after-deploy', live: true });
    expect(parseArgs(['practice', '--live', '--list', '--json'])).toMatchObject({ kind: 'practice', list: true, json: true, live: true });
    expect(parseArgs(['practice', 'stopped-php-fpm'])).toMatchObject({ kind: 'practice', incident: 'stopped-php-fpm', live: false });
    expect(() => parseArgs(['practice', '--live', 'a', 'b'])).toThrow(new UsageError('practice takes one scenario (got a and b)'));
    expect(() => parseArgs(['practice', '--live', '--json'])).toThrow(UsageError);
  });
});

describe('the scenarios', () => {
  it('have unique ids, known causes, and tickets that never name their cause', () => {
    expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
    for (const s of SCENARIOS) {
      expect(CAUSES).toContain(s.cause);
      for (const told of [s.id, s.symptom, s.ticket]) expect(told, s.id).not.toContain(s.cause);
    }
  });

  it('cover every stack of the lab, each with the causes its tests reproduce', () => {
    const byStack = (kind: string) => [...new Set(SCENARIOS.filter((s) => s.stack === kind).map((s) => s.cause))].sort();
    expect(Object.keys(STACK_KINDS).sort()).toEqual([...new Set(SCENARIOS.map((s) => s.stack))].sort());
    expect(byStack('gunicorn-supervisor')).toEqual(['backend-crashed', 'backend-hung', 'backend-saturated', 'read-timeout', 'socket-missing', 'socket-permission', 'socket-tcp-mismatch']);
    expect(byStack('uwsgi')).toEqual(['backend-crashed', 'backend-hung', 'backend-saturated', 'protocol-mismatch', 'read-timeout', 'socket-missing', 'socket-permission']);
    expect(byStack('php-fpm')).toEqual([
      'backend-crashed',
      'backend-down',
      'backend-hung',
      'backend-saturated',
      'header-too-big',
      'protocol-mismatch',
      'read-timeout',
      'socket-missing',
      'socket-permission',
      'socket-tcp-mismatch',
    ]);
    expect(byStack('pm2')).toEqual(['backend-crashed', 'backend-down', 'backend-hung', 'wrong-port']);
    expect(byStack('init-script')).toEqual(['backend-down', 'backend-hung', 'wrong-port']);
    for (const kind of ['runit', 's6']) expect(byStack(kind)).toEqual(['backend-down']);
  });

  it('are listed easiest first, and found by id or by their number in that list', () => {
    const levels = menu().map((s) => s.difficulty);
    expect(levels).toEqual([...levels].sort((a, b) => a - b));
    expect(findScenario('1')).toBe(menu()[0]);
    expect(findScenario('shop-spins')?.id).toBe('shop-spins');
    expect(findScenario('0')).toBeNull();
    expect(findScenario('no-such-thing')).toBeNull();
  });
});

describe('what a live box needs', () => {
  it('names the missing programs and the commands that install them, Debian and npm apart', () => {
    const none = missingFor('pm2', () => false);
    expect(none.missing.map((m) => m.program)).toContain('/usr/sbin/nginx');
    expect(none.install).toEqual([expect.stringMatching(/^apt-get install util-linux nginx-light curl iproute2 bsdutils nodejs$/), 'npm install --global pm2']);
    expect(missingFor('uwsgi', (p) => p !== '/usr/bin/uwsgi')).toEqual({ missing: [{ program: '/usr/bin/uwsgi', package: 'uwsgi' }], install: ['apt-get install uwsgi'] });
    expect(missingFor('uwsgi', () => true)).toEqual({ missing: [], install: [] });
  });
});

describe('the check on "done"', () => {
  it('passes a fixed box, one line per thing that must hold', () => {
    const lines = verdict(fixed, names);
    expect(passed(lines)).toBe(true);
    expect(lines.map((l) => l.text)).toEqual([
      'http://shop.example/ answers 200 through nginx',
      'nginx -t: the configuration test passes',
      'the other site http://status.example/ still answers',
      'after a restart of the box (supervisord -c /etc/supervisor/supervisord.conf; nginx) it still answers: the fix is durable',
    ]);
  });

  it('refuses a request that still fails, a broken config, a broken other site, and a fix that did not last', () => {
    expect(
      verdict({ ...fixed, status: 502, durable: null }, names)
        .filter((l) => !l.ok)
        .map((l) => l.text),
    ).toEqual([
      'http://shop.example/ answers 502 through nginx (200 expected)',
      'not tried yet: a restart of the box (supervisord -c /etc/supervisor/supervisord.conf; nginx); the fix must survive it',
    ]);
    expect(verdict({ ...fixed, configTest: { ok: false, said: 'nginx: [emerg] unexpected "}"' } }, names)[1]).toEqual({ ok: false, text: 'nginx -t fails: nginx: [emerg] unexpected "}"' });
    expect(verdict({ ...fixed, otherSite: 0 }, names)[2]).toEqual({ ok: false, text: 'the other site http://status.example/ answers nothing (it answered 200 before)' });
    expect(verdict({ ...fixed, durable: { restartFailed: null, status: 502 } }, names)[3]?.ok).toBe(false);
    expect(verdict({ ...fixed, durable: { restartFailed: 'nginx', status: 0 } }, names)[3]).toEqual({
      ok: false,
      text: 'after a restart of the box, nginx failed: the box does not come up the way it boots',
    });
  });

  it('scores 100 less 10 a hint (at most 50) and 2 a minute beyond par (3 a level, at most 30)', () => {
    expect(score({ hints: 0, seconds: 170, difficulty: 1 }).points).toBe(100);
    expect(score({ hints: 1, seconds: 30, difficulty: 1 }).points).toBe(90);
    expect(score({ hints: 0, seconds: 5 * 60, difficulty: 1 })).toMatchObject({ points: 96, parMinutes: 3, minutes: 5, timePenalty: 4 });
    expect(score({ hints: 9, seconds: 3600, difficulty: 2 })).toMatchObject({ points: 20, hintPenalty: 50, timePenalty: 30 });
    expect(clock(61.4)).toBe('1:01');
  });
});
