import { createStore, type StoreApi } from 'zustand/vanilla';
import { requestFacts } from '../facts/request.js';
import { currentNode, isFinished, startSession, type Session } from '../engine/session.js';
import type { Flow } from '../flow/schema.js';
import type { FixPlan } from '../fixes/plan.js';
import type { HostSet } from '../hosts/host-set.js';
import type { Recording } from '../record/recording.js';
import { replayHosts, replayStep } from '../record/replay.js';
import { planFix } from '../drive/fix.js';
import type { Incident } from './incidents.js';
import { predictionOptions, scorePrediction, type Prediction, type PredictionOption } from './predict.js';

export type PracticePhase = 'running' | 'predict' | 'reveal' | 'finished' | 'failed';

export interface PracticeState {
  incident: Pick<Incident, 'id' | 'title' | 'story'>;
  /** The session as the learner has seen it: a step joins it once its result is revealed. */
  session: Session;
  phase: PracticePhase;
  /** The session with the current step already run from the recording, its result not shown yet. */
  ahead: Session | null;
  options: PredictionOption[];
  predictions: Prediction[];
  fix: FixPlan | null;
  error: string | null;
  /** Runs the first step (hidden) and asks for a prediction. */
  start: () => Promise<void>;
  /** The learner's prediction for the current step; reveals its result. */
  predict: (outcome: string) => void;
  /** On to the next step, or the summary after the last. */
  next: () => Promise<void>;
}

export interface PracticeOptions {
  flow: Flow;
  recording: Recording;
  incident: Pick<Incident, 'id' | 'title' | 'story'>;
  hosts?: HostSet;
}

/** A practice run over one recorded incident: predict, reveal, score; each run makes a fresh store. */
export function createPracticeStore({ flow, recording, incident, hosts = replayHosts(recording) }: PracticeOptions): StoreApi<PracticeState> {
  const inputs = recording.inputs.url ? requestFacts(recording.inputs.url) : {};
  return createStore<PracticeState>()((set, get) => {
    const runHidden = async () => {
      const { session } = get();
      const node = currentNode(session);
      if (node.kind !== 'step') {
        let fix: FixPlan | null = null;
        try {
          fix = planFix(session);
        } catch (e) {
          return set({ phase: 'failed', error: `could not plan the fix: ${(e as Error).message}` });
        }
        return set({ phase: 'finished', fix, ahead: null, options: [] });
      }
      set({ phase: 'running' });
      try {
        const ahead = await replayStep(session, hosts, recording);
        const taken = ahead.trail.at(-1);
        if (!taken) throw new Error(`step ${node.id} left no result`);
        set({ phase: 'predict', ahead, options: predictionOptions(flow, node, taken.outcome, incident.id) });
      } catch (e) {
        set({ phase: 'failed', error: (e as Error).message });
      }
    };
    return {
      incident,
      session: startSession(flow, inputs),
      phase: 'running',
      ahead: null,
      options: [],
      predictions: [],
      fix: null,
      error: null,
      start: runHidden,
      predict(outcome) {
        const { ahead, session, predictions, phase } = get();
        const node = currentNode(session);
        const taken = ahead?.trail.at(-1);
        if (phase !== 'predict' || !ahead || !taken || node.kind !== 'step') return;
        set({ session: ahead, ahead: null, phase: 'reveal', predictions: [...predictions, scorePrediction(node, outcome, taken.outcome)] });
      },
      async next() {
        if (get().phase !== 'reveal') return;
        if (isFinished(get().session)) set({ phase: 'running' });
        await runHidden();
      },
    };
  });
}

export interface PracticeRootState {
  incidents: Incident[];
  /** The incident under way, with a store of its own; null: the menu. */
  run: StoreApi<PracticeState> | null;
  /** Counts the runs: a new run of the same incident starts afresh. */
  round: number;
  /** Starts an incident: its recording loaded, a fresh practice store over its replay. */
  pick: (id: string) => void;
  /** Back to the menu of incidents. */
  toMenu: () => void;
}

export interface PracticeRootOptions {
  flow: Flow;
  incidents: Incident[];
  load: (id: string) => { incident: Incident; recording: Recording };
  /** Start on this incident instead of the menu. */
  initial?: string | undefined;
}

/** `badgateway practice`: the menu, then an incident, then the menu again until the learner quits. */
export function createPracticeRootStore({ flow, incidents, load, initial }: PracticeRootOptions): StoreApi<PracticeRootState> {
  const runOf = (id: string) => {
    const { incident, recording } = load(id);
    return createPracticeStore({ flow, recording, incident });
  };
  return createStore<PracticeRootState>()((set, get) => ({
    incidents,
    run: initial ? runOf(initial) : null,
    round: 0,
    pick: (id) => set({ run: runOf(id), round: get().round + 1 }),
    toMenu: () => set({ run: null }),
  }));
}
