import { describe, expect, it } from 'vitest';
import { timelineLines } from '../../../src/history/chart.js';

describe('the timeline chart', () => {
  it('one column per minute: bars scaled to the busiest minute, zero as a dot, markers under their minute', () => {
    const lines = timelineLines({
      per_minute: [
        { t: '2026-12-06T03:12', '502': 8, '504': 0 },
        { t: '2026-12-06T03:14', '502': 2, '504': 4 },
      ],
      markers: [
        { t: '2026-12-06T03:12', kind: 'restart' },
        { t: '2026-12-06T03:14', kind: 'oom-kill' },
        { t: '2026-12-06T03:14', kind: 'restart' },
      ],
    });
    expect(lines[0]).toBe('502 █·▂  10');
    expect(lines[1]).toBe('504 ··▄  4');
    expect(lines[2]).toBe('    R O');
    expect(lines[3]).toBe('    12-06 03:12 to 12-06 03:14  (per minute, top 8; R restart X crash O OOM S saturated)');
  });

  it('a long span is folded into at most `width` columns, each several minutes', () => {
    const lines = timelineLines(
      {
        per_minute: [
          { t: '2026-12-06T00:00', '502': 1, '504': 0 },
          { t: '2026-12-06T09:59', '502': 0, '504': 3 },
        ],
        markers: [],
      },
      60,
    );
    const bars = (lines[0] as string).slice(4, (lines[0] as string).lastIndexOf('  '));
    expect(bars).toHaveLength(60);
    expect(lines[3]).toContain('per 10 minutes');
  });

  it('nothing happened: no chart', () => {
    expect(timelineLines({ per_minute: [], markers: [{ t: '2026-12-06T03:12', kind: 'restart' }] })).toEqual([]);
  });
});
