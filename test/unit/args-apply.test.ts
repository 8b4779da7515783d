import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/args.js';
import type { ApplyOutcome } from '../../src/fixes/apply/run.js';
import { withApply } from '../../src/report/apply-report.js';
import type { JsonReport } from '../../src/report/json.js';

describe('--apply --yes and undo on the command line', () => {
  it('--json --apply --yes applies; undo takes the host options and --json', () => {
    expect(parseArgs(['--json', '--apply', '--yes', '--url', 'http://x/'])).toMatchObject({ kind: 'diagnose', json: true, apply: true });
    expect(parseArgs(['--json'])).toMatchObject({ kind: 'diagnose', apply: false });
    expect(parseArgs(['undo'])).toEqual({ kind: 'undo', json: false, hosts: [], acceptNewHostKey: false });
    expect(parseArgs(['undo', '--ssh', 'root@web1', '--json'])).toEqual({ kind: 'undo', json: true, hosts: [{ role: 'proxy', target: 'root@web1' }], acceptNewHostKey: false });
  });

  it('not this: --apply alone asks for --yes; --apply without --json, --yes alone, undo with --url are usage errors', () => {
    expect(() => parseArgs(['--json', '--apply'])).toThrow(/add --yes/);
    expect(() => parseArgs(['--apply', '--yes'])).toThrow(/goes with --json/);
    expect(() => parseArgs(['--json', '--yes'])).toThrow(/--yes answers --apply/);
    expect(() => parseArgs(['undo', '--url', 'http://x/'])).toThrow(UsageError);
  });
});

const report = (over: Partial<JsonReport> = {}): JsonReport =>
  ({
    fix: { title: 't', commands: [], details: [], edits: [], notes: [], caution: null, applied: false, verified: false, rolledBack: false },
    healthy: false,
    error: null,
    exitCode: 1,
    ...over,
  }) as unknown as JsonReport;

const outcome = (over: Partial<ApplyOutcome>): ApplyOutcome => ({
  id: 'id1',
  applied: true,
  verified: true,
  rolledBack: false,
  interrupted: false,
  failure: null,
  changes: [],
  backups: ['/var/lib/badgateway/backups/id1/etc/nginx/nginx.conf'],
  rollback: [],
  verification: null,
  after: null,
  journal: '/var/lib/badgateway/journal.jsonl',
  host: 'local',
  ...over,
});

describe('the report after --apply', () => {
  it('fixed and verified: exit 0, with what changed, the backups and the journal', () => {
    const r = withApply(report(), outcome({}));
    expect(r.exitCode).toBe(0);
    expect(r.fix).toMatchObject({
      applied: true,
      verified: true,
      rolledBack: false,
      backups: ['/var/lib/badgateway/backups/id1/etc/nginx/nginx.conf'],
      journal: '/var/lib/badgateway/journal.jsonl',
      applyId: 'id1',
    });
  });

  it('not this: rolled back, or refused before anything changed: exit 1 and the reason', () => {
    expect(withApply(report(), outcome({ verified: false, rolledBack: true, failure: 'the request still fails' }))).toMatchObject({
      exitCode: 1,
      fix: { applied: true, verified: false, rolledBack: true, failure: 'the request still fails' },
    });
    expect(withApply(report(), null, 'not applied: nothing to change')).toMatchObject({ exitCode: 1, fix: { applied: false, failure: 'not applied: nothing to change', changes: [], backups: [] } });
    expect(withApply(report({ error: 'step x failed', exitCode: 3 }), null).exitCode).toBe(3);
  });
});
