import { describe, expect, it } from 'vitest';
import { lastInEffect, parseJournal } from '../../../src/fixes/apply/journal.js';
import type { ApplyRecord } from '../../../src/fixes/apply/record.js';

const rec = (id: string, event: ApplyRecord['event']): ApplyRecord => ({ v: 1, id, event, at: '2026-11-21T00:00:00Z', host: 'local', cause: 'wrong-port', title: 't', request: null, stateDir: '/s', nginx: null, backend: null, changes: [], verified: event === 'applied', failure: null });
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
