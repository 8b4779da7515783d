/**
 * The JSON report after `--apply --yes`: fix.applied, fix.verified, fix.rolledBack and what changed
 * (each edit and command with its result, backups, undo), the verification, and the new finding when
 * the request still failed with the change in place.
 */
import type { ApplyOutcome } from '../fixes/apply/run.js';
import type { Change } from '../fixes/apply/record.js';
import { EXIT, type JsonReport } from './json.js';

export interface AppliedFix {
  applied: boolean;
  verified: boolean;
  rolledBack: boolean;
  changes: Change[];
  backups: string[];
  rollback: string[];
  failure: string | null;
  verification: ApplyOutcome['verification'];
  after: ApplyOutcome['after'];
  journal: string | null;
  applyId: string | null;
  interrupted: boolean;
}

/** The report with the apply's outcome in `fix`; exit 0 once the fix is verified, else 1. */
export function withApply(report: JsonReport, outcome: ApplyOutcome | null, refusal: string | null = null): JsonReport & { fix: JsonReport['fix'] & AppliedFix } {
  const applied: AppliedFix = {
    applied: outcome?.applied ?? false,
    verified: outcome?.verified ?? false,
    rolledBack: outcome?.rolledBack ?? false,
    changes: outcome?.changes ?? [],
    backups: outcome?.applied ? outcome.backups : [],
    rollback: outcome?.rollback ?? [],
    failure: outcome?.failure ?? refusal,
    verification: outcome?.verification ?? null,
    after: outcome?.after ?? null,
    journal: outcome?.journal ?? null,
    applyId: outcome?.id ?? null,
    interrupted: outcome?.interrupted ?? false,
  };
  const exitCode = report.error ? report.exitCode : applied.verified ? EXIT.healthyOrFixed : report.healthy ? report.exitCode : EXIT.diagnosed;
  return { ...report, fix: { ...report.fix, ...applied }, exitCode };
}
