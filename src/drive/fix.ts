import { currentNode, factsOf, type Session } from '../engine/session.js';
import { renderArgv } from '../flow/template.js';
import { PLANNERS } from '../fixes/planners/index.js';
import type { FixPlan } from '../fixes/plan.js';

/** The fix the session ended on: its planner's commands and edits, then the flow's own commands. */
export function planFix(session: Session): FixPlan | null {
  const node = currentNode(session);
  if (node.kind !== 'fix') return null;
  const facts = factsOf(session);
  const planned: FixPlan = node.plan ? (PLANNERS[node.plan]?.plan(facts) ?? { commands: [], edits: [], notes: [] }) : { commands: [], edits: [], notes: [] };
  const extra = (node.commands ?? []).map((command) => ({ argv: renderArgv(command.run, facts), why: command.why, durable: true }));
  return { ...planned, commands: [...planned.commands, ...extra] };
}
