import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkById } from '../../../src/checks/index.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';

const check = checkById('history.read');
const capture = (outcome: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/checks/history.read/${outcome}.json`, import.meta.url), 'utf8')) as { facts: KnownFacts; results: CommandResult[] };

describe('history.read on runs captured in the lab', () => {
  it("plans one round: nginx's logs and the clock on nginx's box; the backend's logs, uptime, dmesg, netstat, ss and ps on the backend's", () => {
    const { facts } = capture('restart-window');
    const first = check.plan(facts, []);
    expect(first.map((c) => [c.argv[0], c.on ?? 'proxy'])).toEqual([
      ['sh', 'proxy'],
      ['date', 'proxy'],
      ['sh', 'backend'],
      ['cat', 'backend'],
      ['dmesg', 'backend'],
      ['cat', 'backend'],
      ['ss', 'backend'],
      ['ps', 'backend'],
    ]);
    expect(check.plan(facts, capture('restart-window').results)).toEqual([]);
  });

  it('--since bounds the window: the episode is read with a window reaching its last failure, and not with one a millisecond shorter', () => {
    const { facts, results } = capture('restart-window');
    const full = check.interpret(facts, results).facts['history.report'];
    const newest = full?.episodes.at(-1);
    expect(newest?.count).toBe(4);
    const reach = Date.parse(`${full?.until}Z`) - Date.parse(`${newest?.last}Z`);
    const within = check.interpret({ ...facts, 'history.sinceMs': reach }, results);
    expect(within.outcome).toBe('restart-window');
    expect(within.facts['history.report']?.since).toBe(newest?.last);
    const short = check.interpret({ ...facts, 'history.sinceMs': reach - 1 }, results);
    expect(short.outcome).toBe('quiet');
    expect(short.facts['history.report']?.episodes).toEqual([]);
  });

  it('a read that printed nothing (no sh, no logs) is no episode, and says so', () => {
    const { facts, results } = capture('restart-window');
    const broken = results.map((r) => (r.argv[0] === 'sh' ? { ...r, stdout: '', code: 127, stderr: 'sh: not found' } : r));
    const result = check.interpret(facts, broken);
    expect(result.outcome).toBe('quiet');
    expect(result.evidence[0]?.lines).toContain('sh: not found');
  });
});
