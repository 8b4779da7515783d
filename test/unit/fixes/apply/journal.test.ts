import { describe, expect, it } from 'vitest';
import { lastInEffect, parseJournal } from '../../../../src/fixes/apply/journal.js';
import type { ApplyRecord } from '../../../../src/fixes/apply/record.js';

const rec = (id: string, event: ApplyRecord['event']): ApplyRecord => ({
  v: 1,
  id,
  event,
  at: '2026-11-21T00:00:00Z',
  host: 'local',
  cause: 'wrong-port',
  title: 't',
  request: null,
  stateDir: '/s',
  nginx: null,
  backend: null,
  changes: [],
  verified: event === 'applied',
  failure: null,
});
const lines = (...records: ApplyRecord[]) => records.map((r) => JSON.stringify(r)).join('\n');

describe('the journal: which fix is still in effect', () => {
  it('the newest applied fix; an undone or rolled-back one is skipped for the one before', () => {
    expect(lastInEffect(parseJournal(lines(rec('a', 'begin'), rec('a', 'applied'), rec('b', 'begin'), rec('b', 'applied'))))?.id).toBe('b');
    expect(lastInEffect(parseJournal(lines(rec('a', 'begin'), rec('a', 'applied'), rec('b', 'begin'), rec('b', 'applied'), rec('b', 'undone'))))?.id).toBe('a');
    expect(lastInEffect(parseJournal(lines(rec('a', 'begin'), rec('a', 'rolled-back'))))).toBeNull();
    expect(lastInEffect(parseJournal(lines(rec('a', 'begin'), rec('a', 'failed'))))).toBeNull();
  });

  it('an apply killed before it could finish (a begin with no end) is in effect: undo restores its files', () => {
    expect(lastInEffect(parseJournal(lines(rec('a', 'begin'), rec('a', 'applied'), rec('k', 'begin'))))).toMatchObject({ id: 'k', event: 'begin' });
  });

  it('not this: a line cut short by a crash, or not ours, is skipped', () => {
    const text = `${lines(rec('a', 'begin'), rec('a', 'applied'))}\n{"v":1,"id":"b","ev\n{"hello":1}\n`;
    expect(parseJournal(text).map((r) => `${r.id}:${r.event}`)).toEqual(['a:begin', 'a:applied']);
  });
});

describe('where the journal and backups live on a host', () => {
  const host = (uid: string, home: string | null) => ({
    label: 'web1',
    run: async (spec: { argv: string[] }) => {
      if (spec.argv[0] === 'id') return { argv: spec.argv, stdout: `${uid}\n`, stderr: '', code: 0, ms: 1 };
      return home === null ? { argv: spec.argv, stdout: '', stderr: '', code: 1, ms: 1 } : { argv: spec.argv, stdout: `${home}\n`, stderr: '', code: 0, ms: 1 };
    },
    close: async () => {},
  });

  it('/var/lib/badgateway as root, ~/.local/state/badgateway otherwise, the override before both', async () => {
    const { Box } = await import('../../../../src/fixes/apply/box.js');
    const { stateDirOf } = await import('../../../../src/fixes/apply/journal.js');
    expect(await stateDirOf(new Box(host('0', '/root')), undefined)).toBe('/var/lib/badgateway');
    expect(await stateDirOf(new Box(host('1000', '/home/ann/')), undefined)).toBe('/home/ann/.local/state/badgateway');
    expect(await stateDirOf(new Box(host('1000', '/home/ann')), '/srv/bgw/')).toBe('/srv/bgw');
    await expect(stateDirOf(new Box(host('1000', null)), undefined)).rejects.toThrow(/HOME is not set/);
  });
});
