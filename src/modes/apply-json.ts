import { currentNode, factsOf, type Session } from '../engine/session.js';
import { prepareApply } from '../fixes/apply/prepare.js';
import { runApply } from '../fixes/apply/run.js';
import { stderrSink } from '../fixes/apply/steps.js';
import type { FixPlan } from '../fixes/plan.js';
import type { HostSet } from '../hosts/host-set.js';
import { withApply } from '../report/apply-report.js';
import type { JsonReport } from '../report/json.js';
import { rediagnose } from '../drive/rediagnose.js';

/**
 * --json --apply --yes: the fix applied without asking, verified, rolled back if it does not help.
 * `interrupt` is aborted by Ctrl-C, SIGTERM or a hang-up (the caller holds those until the report is out).
 */
export async function applyForJson(session: Session, fix: FixPlan | null, hosts: HostSet, report: JsonReport, interrupt: AbortSignal): Promise<JsonReport> {
  const node = currentNode(session);
  if (report.error || report.healthy) return withApply(report, null);
  if (node.kind !== 'fix' || !fix) return withApply(report, null, 'not applied: the diagnosis ended without a fix badgateway can apply (see the explanation)');
  const input = { hosts, facts: factsOf(session), plan: fix, cause: node.cause ?? null, title: report.fix.title };
  const prepared = await prepareApply(input);
  if (!prepared.ok) return withApply(report, null, `not applied: ${prepared.refusal}`);
  const nginxChanged = prepared.files.some((f) => f.program === 'nginx');
  const outcome = await runApply(prepared, input, { signal: interrupt, onEvent: stderrSink, rediagnose: () => rediagnose(session, hosts, nginxChanged, interrupt) });
  return withApply(report, outcome);
}
