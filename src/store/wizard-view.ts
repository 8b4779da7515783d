/**
 * What the wizard's screens show, computed from its state: pure, so the UI only reads and renders. Which
 * screen, the step on screen, the choices under it, and whether a fix may be applied by badgateway itself.
 */
import { currentNode, factsOf, nodeById, type Session, type TakenStep } from '../engine/session.js';
import type { FlowNode } from '../flow/schema.js';
import { applicability } from '../fixes/apply/applicable.js';
import type { WizardState } from './wizard-state.js';
import { filled } from './text.js';

export interface Choice {
  label: string;
  value: string;
}

export type Screen = 'prompt' | 'connecting' | 'apply' | 'end' | 'step';

/** Where the wizard ends on a box with no nginx to diagnose: practice on a recorded incident instead. */
const PRACTICE_ENDS = new Set(['end-no-nginx', 'end-nginx-not-running']);

/** The screen for this state, first match wins: a question to the person, connecting, applying, the end, a step. */
export function screenOf(state: Pick<WizardState, 'prompt' | 'phase' | 'apply' | 'session'>): Screen {
  if (state.prompt) return 'prompt';
  if (state.phase === 'connecting') return 'connecting';
  if (state.apply) return 'apply';
  if (state.phase === 'finished' && currentNode(state.session).kind !== 'step') return 'end';
  return 'step';
}

export interface ShownStep {
  node: FlowNode;
  /** The step just taken, with its evidence; null while the current one runs (or failed, or none ran yet). */
  taken: TakenStep | null;
  /** The session whose trail sits above the step (the shown step itself not in it). */
  trail: Session;
}

/** The step on screen: the current one while it runs or after it failed, else the one just taken. */
export function shownStep(session: Session, phase: WizardState['phase']): ShownStep {
  const last = session.trail.at(-1) ?? null;
  if (phase === 'running' || phase === 'failed' || !last) return { node: currentNode(session), taken: null, trail: session };
  return { node: nodeById(session.flow, last.node), taken: last, trail: { ...session, trail: session.trail.slice(0, -1) } };
}

/** The question the last step asks the person (which listener is the backend?), while it is under review. */
export function questionOf(session: Session, phase: WizardState['phase']): TakenStep['ask'] {
  return phase === 'review' ? session.trail.at(-1)?.ask : undefined;
}

/** The menu under a step: the question's answers or the way on, another request, retry, back, quit. */
export function stepChoices(session: Session, phase: WizardState['phase']): Choice[] {
  const items: Choice[] = [];
  const current = currentNode(session);
  const question = questionOf(session, phase);
  const candidates = factsOf(session)['request.candidates'] ?? [];
  if (question) question.alternatives.forEach((alternative, index) => items.push({ label: alternative.label, value: `answer:${index}` }));
  else if (phase === 'review' && current.kind === 'step') items.push({ label: `Continue: ${current.title}`, value: 'next' }, { label: 'Run the remaining steps without stopping', value: 'rest' });
  else if (phase === 'review') items.push({ label: `Show the result: ${filled(current.title, factsOf(session))}`, value: 'result' });
  const last = session.trail.at(-1);
  const lastNode = last ? nodeById(session.flow, last.node) : null;
  if (phase === 'review' && candidates.length > 1 && lastNode?.kind === 'step' && lastNode.check === 'request.find') {
    items.push({ label: `Choose another failing request (${candidates.length} found)`, value: 'pick' });
  }
  if (phase === 'failed') items.push({ label: 'Try this step again', value: 'retry' });
  if (lastNode && phase !== 'running') items.push({ label: `Back: run "${lastNode.title}" again`, value: 'back' });
  if (phase !== 'running') items.push({ label: 'Quit', value: 'quit' });
  return items;
}

/** The failing requests the error logs named, to follow another one instead. */
export function requestChoices(session: Session): Choice[] {
  const candidates = factsOf(session)['request.candidates'] ?? [];
  return [...candidates.map((url) => ({ label: url, value: url })), { label: 'Cancel', value: '' }];
}

/** Whether badgateway may apply the fix the walk ended on by itself (else it is left to the person). */
export function canApplyFix(state: Pick<WizardState, 'session' | 'fix'>): boolean {
  const current = currentNode(state.session);
  return current.kind === 'fix' && applicability(state.fix, factsOf(state.session), current.cause ?? null).applicable;
}

/** The menu at the end of the walk: apply, practice instead (no nginx here), back, quit. */
export function endChoices(state: Pick<WizardState, 'session' | 'fix'>, offersPractice: boolean): Choice[] {
  const current = currentNode(state.session);
  return [
    ...(canApplyFix(state) ? [{ label: 'Apply this fix: see exactly what will run, then decide', value: 'apply' }] : []),
    ...(offersPractice && PRACTICE_ENDS.has(current.id) ? [{ label: 'Practice on a recorded incident', value: 'practice' }] : []),
    ...(state.session.trail.length ? [{ label: 'Back: run the last step again', value: 'back' }] : []),
    { label: 'Quit', value: 'quit' },
  ];
}
