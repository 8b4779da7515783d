import type { Alternative } from '../checks/check.js';
import type { Evidence } from '../facts/evidence.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Flow, FlowNode, StepNode } from '../flow/schema.js';

/** One step taken: which node, where it ran, what it found, and where the flow went. */
export interface TakenStep {
  node: string;
  host: string;
  outcome: string;
  summary: string;
  evidence: Evidence[];
  /** Facts this step learned. */
  learned: KnownFacts;
  ms: number;
  next: string;
  /** A question only a person can answer; its alternatives replace this step's reading. */
  ask?: { question: string; alternatives: Alternative[] };
  /** The person's answer to that question, when it replaced the check's own reading (kept for recordings). */
  answered?: { outcome: string; label: string };
}

/** A session is the trail of steps taken; facts are what the trail learned on top of the inputs. */
export interface Session {
  flow: Flow;
  inputs: KnownFacts;
  trail: TakenStep[];
}

export function startSession(flow: Flow, inputs: KnownFacts = {}): Session {
  return { flow, inputs, trail: [] };
}

export function currentNodeId(session: Session): string {
  return session.trail.at(-1)?.next ?? session.flow.start;
}

export function nodeById(flow: Flow, id: string): FlowNode {
  const node = flow.nodes[id];
  if (!node) throw new Error(`flow ${flow.id} has no node ${id}`);
  return node;
}

export function currentNode(session: Session): FlowNode {
  return nodeById(session.flow, currentNodeId(session));
}

export function factsOf(session: Session): KnownFacts {
  return Object.assign({}, session.inputs, ...session.trail.map((step) => step.learned)) as KnownFacts;
}

/** Where a step's outcome leads. An outcome the flow does not branch on is a bug lint should have caught. */
export function branch(node: StepNode, outcome: string): string {
  const next = node.on[outcome];
  if (!next) throw new Error(`step ${node.id} has no branch for outcome ${outcome}`);
  return next;
}

export type StepRecord = Omit<TakenStep, 'node' | 'next'>;

/** The session after the current step produced this record. */
export function advance(session: Session, record: StepRecord): Session {
  const node = currentNode(session);
  if (node.kind !== 'step') throw new Error(`node ${node.id} is not a step`);
  const step: TakenStep = { ...record, node: node.id, next: branch(node, record.outcome) };
  return { ...session, trail: [...session.trail, step] };
}

/** The person read the last step's evidence otherwise: take their answer's branch instead. */
export function answer(session: Session, alternative: Alternative): Session {
  const last = session.trail.at(-1);
  if (!last) throw new Error('there is no step to answer for');
  const node = nodeById(session.flow, last.node);
  if (node.kind !== 'step') throw new Error(`node ${node.id} is not a step`);
  const learned = { ...last.learned, ...alternative.facts };
  const amended: TakenStep = {
    ...last,
    outcome: alternative.outcome,
    summary: alternative.summary,
    learned,
    next: branch(node, alternative.outcome),
    answered: { outcome: alternative.outcome, label: alternative.label },
  };
  delete amended.ask;
  return { ...session, trail: [...session.trail.slice(0, -1), amended] };
}

/** The session before its last step, so that step runs again. */
export function back(session: Session): Session {
  return { ...session, trail: session.trail.slice(0, -1) };
}

export function isFinished(session: Session): boolean {
  return currentNode(session).kind !== 'step';
}
