import { currentNode, factsOf, type Session } from '../engine/session.js';
import { onInterrupt } from '../fixes/apply/interrupt.js';
import { prepareApply } from '../fixes/apply/prepare.js';
import { runApply } from '../fixes/apply/run.js';
import { stderrSink } from '../fixes/apply/steps.js';
import type { FixPlan } from '../fixes/plan.js';
import type { HostSet } from '../hosts/host-set.js';
import { withApply } from '../report/apply-report.js';
import type { JsonReport } from '../report/json.js';
import { rediagnose } from '../drive/rediagnose.js';

/** --json --apply --yes: the fix applied without asking, verified, rolled back if it does not help. */
export async function applyForJson(session: Session, fix: FixPlan | null, hosts: HostSet, report: JsonReport): Promise<JsonReport> {
  const node = currentNode(session);
  if (report.error || report.healthy) return withApply(report, null);
  if (node.kind !== 'fix' || !fix) return withApply(report, null, 'not applied: the diagnosis ended without a fix badgateway can apply (see the explanation)');
  const input = { hosts, facts: factsOf(session), plan: fix, cause: node.cause ?? null, title: report.fix.title };
  const prepared = await prepareApply(input);
  if (!prepared.ok) return withApply(report, null, `not applied: ${prepared.refusal}`);
  const controller = new AbortController();
  const stop = onInterrupt(controller);
  try {
    const nginxChanged = prepared.files.some((f) => f.program === 'nginx');
    const outcome = await runApply(prepared, input, { signal: controller.signal, onEvent: stderrSink, rediagnose: () => rediagnose(session, hosts, nginxChanged, controller.signal) });
    return withApply(report, outcome);
  } finally {
    stop();
  }
}
