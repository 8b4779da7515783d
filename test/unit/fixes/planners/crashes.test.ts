import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../../src/facts/keys.js';
import { CRASH_PLANNERS } from '../../../../src/fixes/planners/crashes.js';

const SEGFAULT = ['Fatal Python error: Segmentation fault', '  File "/srv/shop-api/server.py", line 22 in do_GET'];
const AT_START = ['Traceback (most recent call last):', '  File "/srv/shop-api/server.py", line 13, in <module>', 'RuntimeError: settings missing DATABASE_URL'];
const sysv: KnownFacts = {
  'service.manager': 'sysv',
  'service.unit': 'shop-api',
  'service.start': ['service', 'shop-api', 'start'],
  'service.stop': ['service', 'shop-api', 'stop'],
  'service.restart': ['service', 'shop-api', 'restart'],
  'service.reload': [],
};

describe('start-crashed-backend', () => {
  const plan = (facts: KnownFacts) => CRASH_PLANNERS['start-crashed-backend']!.plan({ ...sysv, 'crash.summary': 'x', 'crash.lines': SEGFAULT, 'crash.logs': ['/var/log/shop-api/api.log'], ...facts });

  it('down after a crash: started with its own manager, and the crash is not called fixed by it', () => {
    const result = plan({ 'crash.listening': false });
    expect(result.commands.map((c) => c.argv.join(' '))).toEqual(['service shop-api start']);
    const notes = result.notes.join('\n');
    expect(notes).toContain('the same kind of request kills it again');
    expect(notes).toMatch(/native code/);
    expect(notes).toContain('tail -n 100 -- /var/log/shop-api/api.log');
  });

  it('not this: started again meanwhile by what runs it, nothing to start', () => {
    const result = plan({ 'crash.listening': true });
    expect(result.commands).toEqual([]);
    expect(result.notes[0]).toBe('shop-api listens again: what runs it started it again after it died.');
  });
});

describe('backend-crash-loop', () => {
  const plan = (facts: KnownFacts) => CRASH_PLANNERS['backend-crash-loop']!.plan({ 'crash.summary': 'x', 'crash.lines': AT_START, 'crash.logs': ['/var/log/shop-api/current'], ...facts });

  it('runit: no command at all (a restart only begins the loop again); runsv starts it by itself once fixed', () => {
    const result = plan({ 'service.manager': 'runit', 'service.start': ['sv', 'start', 'shop-api'] });
    expect(result.commands).toEqual([]);
    expect(result.edits).toEqual([]);
    const notes = result.notes.join('\n');
    expect(notes).toContain('Do not restart it to fix this');
    expect(notes).toContain('The exception and its first frame name the file and line that fail at start.');
    expect(notes).not.toContain('answers 500');
    expect(notes).toContain("runit's runsv keeps starting it");
  });

  it("pm2: started again only once the cause is fixed, with the daemon's own home", () => {
    const notes = plan({ 'service.manager': 'pm2', 'service.start': ['env', 'PM2_HOME=/root/.pm2', 'pm2', 'start', 'api'] }).notes.join('\n');
    expect(notes).toContain('once the cause is fixed, start it again (env PM2_HOME=/root/.pm2 pm2 start api)');
  });

  it('reached from a dropped connection, before any service was looked at: still advice only', () => {
    const result = plan({});
    expect(result.commands).toEqual([]);
    expect(result.notes.at(-1)).toMatch(/^Once the cause is fixed, start it with what manages it here/);
  });
});
