import { checkById } from '../checks/index.js';
import { CannotRun } from '../errors.js';
import { advance, currentNode, factsOf, isFinished, type Session } from '../engine/session.js';
import type { HostSet } from '../hosts/host-set.js';
import { lookAhead } from '../runner/look-ahead.js';
import { runAhead, runCheck } from '../runner/run-check.js';

/** A step that could not run or whose output made no sense: the session stops and says so (exit 3). */
export class StepFailed extends CannotRun {
  constructor(
    readonly node: string,
    readonly reason: string,
    /** The session up to the step that failed: the report shows the steps that did run. */
    readonly session?: Session,
  ) {
    super(`step ${node} failed: ${reason}`);
  }
}

/** Runs the session's current step on its hosts and moves the session along the branch it took. */
export async function runCurrentStep(session: Session, hosts: HostSet, signal?: AbortSignal): Promise<Session> {
  const node = currentNode(session);
  if (node.kind !== 'step') return session;
  const check = checkById(node.check);
  try {
    runAhead(lookAhead(session, checkById), factsOf(session), hosts);
    const run = await runCheck(check, factsOf(session), hosts, { ...(signal ? { signal } : {}), onBackend: node.on_host === 'backend' });
    const { result } = run;
    return advance(session, {
      host: run.hosts.join(', '),
      outcome: result.outcome,
      summary: result.summary,
      evidence: result.evidence,
      learned: result.facts,
      ms: run.ms,
      ...(result.ask ? { ask: result.ask } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new StepFailed(node.id, (error as Error).message, session);
  }
}

const MAX_STEPS = 64;

/** Walks the flow without asking anyone, as --json does. */
export async function walkToEnd(session: Session, hosts: HostSet, signal?: AbortSignal): Promise<Session> {
  let current = session;
  for (let steps = 0; steps < MAX_STEPS && !isFinished(current); steps++) {
    current = await runCurrentStep(current, hosts, signal);
  }
  return current;
}
