import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxTime } from '../../../src/system/backend-logs.js';
import { maxChildrenWarnings, memAvailableKb, poolWorkerRss, suggestMaxChildren } from '../../../src/system/fpm-log.js';

const read = (name: string) => readFileSync(new URL(`../../fixtures/php-fpm/${name}`, import.meta.url), 'utf8');

describe("php-fpm's pool out of children (captured: Debian's php8.2-fpm, pm.max_children = 2, both children busy)", () => {
  it("finds the warning, its pool, its limit and its time in php-fpm's own log", () => {
    expect(maxChildrenWarnings(read('max-children-reached.log'), 2026)).toEqual([
      {
        pool: 'www',
        limit: 2,
        time: nginxTime('2026/12/06 10:03:27'),
        line: '[06-Dec-2026 10:03:27] WARNING: [pool www] server reached pm.max_children setting (2), consider raising it',
      },
    ]);
  });

  it("reads the children's memory and the memory available, and sizes the pool by them", () => {
    const rss = poolWorkerRss(read('ps-rss-pool-busy.txt'), 'www');
    expect(rss).toEqual([11180, 11180]);
    const available = memAvailableKb(read('meminfo-head.txt'));
    expect(available).toBe(23237952);
    expect(suggestMaxChildren(2, rss, available)).toBe(4);
    // A box with room for one more child of that size only: one more, not twice as many.
    expect(suggestMaxChildren(2, rss, 14000)).toBe(3);
  });

  it('not this: the start-up notices, another pool, the master process', () => {
    expect(maxChildrenWarnings(read('max-children-reached.log').split('\n').slice(0, 3).join('\n'), 2026)).toEqual([]);
    expect(poolWorkerRss(read('ps-rss-pool-busy.txt'), 'api')).toEqual([]);
    expect(memAvailableKb('MemTotal:       24683784 kB\n')).toBeNull();
  });
});
