import { createStore, type StoreApi } from 'zustand/vanilla';
import { answer, back, currentNode, isFinished, startSession, type Session } from '../engine/session.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Flow } from '../flow/schema.js';
import type { FixPlan } from '../fixes/plan.js';
import type { HostSet } from '../hosts/host-set.js';
import { applySlice } from './apply-actions.js';
import type { Asker } from './prompts.js';
import type { WizardState } from './wizard-state.js';

export interface StoreOptions {
  flow: Flow;
  /** The hosts, ready; or connect, which gets them (asking the person through the store as it goes). */
  hosts?: HostSet;
  connect?: (ask: Asker) => Promise<HostSet>;
  /** What the header shows before the hosts are connected. */
  hostLabel?: string;
  inputs?: KnownFacts;
  /** Resume a session already under way (a test, a replay). */
  session?: Session;
}

type Set = (partial: Partial<WizardState>) => void;
type Get = () => WizardState;
interface Wiring {
  hosts: () => HostSet | null;
  signal: AbortSignal;
}

const labelOf = (set: HostSet) => set.members.map((m) => (set.members.length > 1 ? `${m.role}=${m.host.label}` : m.host.label)).join(' ');

/** The session's questions to the person, as prompts in the store that the UI renders and answers. */
function askerOf(set: Set, get: Get): Asker {
  return {
    choose: (question, options) => new Promise((resolve) => set({ prompt: { kind: 'choice', question, options, answer: (value) => (set({ prompt: null }), resolve(value)) } })),
    secret: (question) => new Promise((resolve) => set({ prompt: { kind: 'secret', question, answer: (text) => (set({ prompt: null }), resolve(text)) } })),
    tell: (message) => set({ notes: [...get().notes, message] }),
  };
}

/** Running steps: one step on the hosts, and settling where it led (review, or the end with its fix planned). */
function walking(set: Set, get: Get, wiring: Wiring) {
  const fail = (e: unknown) => set({ phase: 'failed', error: (e as Error).message, runningOn: false });
  const settle = async (session: Session) => {
    if (isFinished(session)) {
      let fix: FixPlan | null = null;
      let error: string | null = null;
      try {
        fix = (await import('../drive/fix.js')).planFix(session);
      } catch (e) {
        error = `could not plan the fix: ${(e as Error).message}`;
      }
      // Stepping by hand, the last step's evidence stays on screen until the person asks for the result.
      const asks = Boolean(session.trail.at(-1)?.ask);
      const phase = error ? 'failed' : (get().runningOn && !asks) || !session.trail.length ? 'finished' : 'review';
      set({ session, phase, fix, error, runningOn: false });
      return;
    }
    set({ session, phase: 'review' });
  };

  // A connection that dropped and was re-opened during the step: the person should know.
  let told = 0;
  const tellConnectionEvents = async (hosts: HostSet) => {
    const { connectionEvents } = await import('../drive/connect.js');
    const events = connectionEvents(hosts);
    if (events.length > told) set({ notes: [...get().notes, ...events.slice(told)] });
    told = events.length;
  };

  const step = async () => {
    const { session } = get();
    const hosts = wiring.hosts();
    if (!hosts) return;
    if (currentNode(session).kind !== 'step') return settle(session);
    set({ phase: 'running', error: null });
    try {
      // The checks load with the first step, after the first frame is on screen.
      const { runCurrentStep } = await import('../drive/driver.js');
      await settle(await runCurrentStep(session, hosts, wiring.signal));
    } catch (e) {
      if (!wiring.signal.aborted) fail(e);
    }
    await tellConnectionEvents(hosts);
  };
  return { fail, settle, step };
}

/** Moving along the walk by the person's choice: all the rest, an answer, the result, back, another request. */
function moves(set: Set, get: Get, flow: Flow, wiring: Wiring, walk: ReturnType<typeof walking>) {
  return {
    async runRest() {
      set({ runningOn: true });
      for (let guard = 0; guard < 64 && get().runningOn; guard++) {
        await walk.step();
        // A question only the person can answer stops the run.
        if (get().phase !== 'review' || get().session.trail.at(-1)?.ask) break;
      }
      set({ runningOn: false });
    },
    answer(index: number) {
      const { session } = get();
      const alternative = session.trail.at(-1)?.ask?.alternatives[index];
      if (alternative) void walk.settle(answer(session, alternative));
    },
    showResult() {
      if (isFinished(get().session)) set({ phase: 'finished' });
    },
    async goBack() {
      const { session } = get();
      if (!session.trail.length) return;
      // Going back is looking again: the box is asked afresh, not answered from what it said before.
      wiring.hosts()?.cache.clear();
      set({ session: back(session), fix: null, apply: null });
      await walk.step();
    },
    async chooseRequest(url: string) {
      const { session } = get();
      const at = session.trail.findIndex((s) => {
        const node = flow.nodes[s.node];
        return node?.kind === 'step' && node.check === 'request.find';
      });
      const kept = at >= 0 ? session.trail.slice(0, at) : [];
      wiring.hosts()?.cache.clear();
      set({ session: { ...session, inputs: { ...session.inputs, 'request.url': url, 'request.method': 'GET' }, trail: kept }, fix: null, apply: null });
      await walk.step();
    },
  };
}

/** The wizard's state and actions, wired to its hosts (ready, or connected on start). Each test and each run makes a fresh one. */
export function createSessionStore({ flow, hosts: ready, connect, hostLabel, inputs = {}, session: resumed }: StoreOptions): StoreApi<WizardState> {
  const abort = new AbortController();
  let hosts = ready ?? null;
  const wiring: Wiring = { hosts: () => hosts, signal: abort.signal };
  return createStore<WizardState>()((set, get) => {
    const walk = walking(set, get, wiring);
    return {
      session: resumed ?? startSession(flow, inputs),
      phase: hosts ? 'running' : 'connecting',
      runningOn: false,
      error: null,
      fix: null,
      hostLabel: hosts ? labelOf(hosts) : (hostLabel ?? 'local'),
      prompt: null,
      notes: [],
      ...applySlice(set, get, wiring),
      ...moves(set, get, flow, wiring, walk),
      async start() {
        if (!hosts) {
          if (!connect) return walk.fail(new Error('no host to run on'));
          try {
            hosts = await connect(askerOf(set, get));
          } catch (e) {
            if (!abort.signal.aborted) walk.fail(e);
            return;
          }
          set({ hostLabel: labelOf(hosts) });
        }
        await walk.step();
      },
      runStep: walk.step,
      quit() {
        abort.abort();
        set({ runningOn: false });
        // An apply under way rolls back first (the abort tells it to); the connection must outlive that.
        void get()
          .applying()
          .finally(() => hosts?.close());
      },
    };
  });
}
