/**
 * The wizard store's state, as types only: the session's part (wizard-store.ts) and applying a fix's part
 * (apply-actions.ts). Both files import these, so neither imports the other's types.
 */
import type { Session } from '../engine/session.js';
import type { ApplyOutcome } from '../fixes/apply/run.js';
import type { Prepared } from '../fixes/apply/prepare.js';
import type { PreviewLine } from '../fixes/apply/preview.js';
import type { ApplyEvent } from '../fixes/apply/steps.js';
import type { FixPlan } from '../fixes/plan.js';
import type { Prompt } from './prompts.js';

export type Phase = 'connecting' | 'running' | 'review' | 'finished' | 'failed';

export interface WizardState extends ApplySlice {
  session: Session;
  phase: Phase;
  /** When set, steps run one after another without stopping for the menu. */
  runningOn: boolean;
  error: string | null;
  fix: FixPlan | null;
  hostLabel: string;
  /** A question waiting for the person; the UI renders it and calls its answer. */
  prompt: Prompt | null;
  /** Notes the session wants the person to read (unprivileged host, a key added to known_hosts). */
  notes: string[];
  /** Connect (when the session has no hosts yet), then run the first step. */
  start: () => Promise<void>;
  /** Run the current step, then stop for review (or go on, after runRest). */
  runStep: () => Promise<void>;
  runRest: () => Promise<void>;
  showResult: () => void;
  /** The person's answer to the last step's question (which listener is the backend?). */
  answer: (index: number) => void;
  /** Undo the last step and run it again (the box may have changed since). */
  goBack: () => Promise<void>;
  /** Start over with another failing request. */
  chooseRequest: (url: string) => Promise<void>;
  quit: () => void;
}

export type ApplyState =
  | { stage: 'preparing' }
  | { stage: 'refused'; reason: string }
  | { stage: 'consent'; prepared: Prepared; preview: PreviewLine[] }
  | { stage: 'applying'; events: ApplyEvent[] }
  | { stage: 'done'; outcome: ApplyOutcome; events: ApplyEvent[] };

export interface ApplySlice {
  /** Where applying the fix stands; null: not started (the fix screen). */
  apply: ApplyState | null;
  /** "Apply this fix": reads what the fix changes and shows it for consent. */
  proposeApply: () => Promise<void>;
  /** The person said yes: apply it, step by step. */
  confirmApply: () => Promise<void>;
  /** Back to the fix screen, nothing changed. */
  cancelApply: () => void;
  /** The fix did not help: run the diagnosis again from the error log, on the box as it is now. */
  diagnoseAgain: () => Promise<void>;
  /** Resolves once no apply is running (a rollback included): quitting waits for it. */
  applying: () => Promise<void>;
}
