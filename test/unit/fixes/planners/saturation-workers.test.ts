import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../../src/facts/keys.js';
import { PLANNERS } from '../../../../src/fixes/planners/index.js';
import { uwsgiIni } from '../../../../src/system/backend-settings.js';

const settings = uwsgiIni('/etc/uwsgi/apps-enabled/shop.ini', '[uwsgi]\nplugins = python3\nprocesses = 1\nlisten = 2\n');
const FACTS: KnownFacts = {
  'backend.settings': settings!,
  'backend.workers': { suggested: 5, why: '1 -> 5: 2 CPUs (2 x CPUs + 1 = 5), each worker uses about 30 MB, 1500 MB available' },
  'backend.backlog': { current: 2, suggested: 128, somaxconn: 4096 },
  'service.manager': 'sysv',
  'service.unit': 'uwsgi',
  'service.start': ['service', 'uwsgi', 'start'],
  'service.stop': ['service', 'uwsgi', 'stop'],
  'service.restart': ['service', 'uwsgi', 'restart'],
  'service.reload': [],
};

describe('a gunicorn or uwsgi backend out of workers: its own settings raised', () => {
  it('the queue overflowed: processes and listen in the ini, the numbers in the notes, then the restart', () => {
    const plan = PLANNERS['raise-workers-and-queue']!.plan(FACTS);
    expect(plan.edits.map((e) => [e.line, e.before, e.after])).toEqual([
      [3, 'processes = 1', 'processes = 5'],
      [4, 'listen = 2', 'listen = 128'],
    ]);
    expect(plan.commands.map((c) => c.argv)).toEqual([['service', 'uwsgi', 'restart']]);
    expect(plan.notes.join('\n')).toContain('Queue: the listen queue of 2 overflowed: 128 (net.core.somaxconn 4096 caps it).');
  });

  it('not this: busy workers with a queue that did not overflow keep their queue', () => {
    const plan = PLANNERS['raise-workers']!.plan(FACTS);
    expect(plan.edits.map((e) => e.after)).toEqual(['processes = 5']);
    expect(plan.notes.join('\n')).not.toContain('Queue:');
  });
});
