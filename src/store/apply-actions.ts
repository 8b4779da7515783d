/**
 * The wizard's part of applying a fix: prepare (read the files, nothing changes) -> consent (the exact
 * commands and diff, then the person's yes) -> apply with each step shown as it runs -> the result, with
 * "Diagnose again" when the request still fails. Kept apart from the session store; it spreads these in.
 */
import { currentNode, factsOf } from '../engine/session.js';
import type { HostSet } from '../hosts/host-set.js';
import type { ApplyEvent } from '../fixes/apply/steps.js';
import type { Prepared } from '../fixes/apply/prepare.js';
import type { ApplySlice, WizardState } from './wizard-state.js';
import { filled } from './text.js';

type Set = (partial: Partial<WizardState>) => void;
type Get = () => WizardState;

type Ready = NonNullable<ReturnType<typeof applyInput>>;

/** What applying needs from the session: the hosts, the facts, the plan and the fix's cause and title. */
function applyInput(get: Get, hosts: HostSet | null) {
  const { session, fix } = get();
  const node = currentNode(session);
  if (!hosts || !fix || node.kind !== 'fix') return null;
  const facts = factsOf(session);
  return { hosts, facts, plan: fix, cause: node.cause ?? null, title: filled(node.title, facts) };
}

/** Applies the consented fix, each step into the store as it runs; when the request still fails, it is diagnosed again. */
async function applyConsented(set: Set, get: Get, prepared: Prepared, ready: Ready, signal: AbortSignal): Promise<void> {
  const events: ApplyEvent[] = [];
  set({ apply: { stage: 'applying', events } });
  const { runApply } = await import('../fixes/apply/index.js');
  const { rediagnose } = await import('../drive/rediagnose.js');
  const session = get().session;
  const nginxChanged = prepared.files.some((f) => f.program === 'nginx');
  const outcome = await runApply(prepared, ready, {
    signal,
    onEvent: (event) => {
      events.push(event);
      const now = get().apply;
      if (now?.stage === 'applying') set({ apply: { stage: 'applying', events: [...events] } });
    },
    rediagnose: () => rediagnose(session, ready.hosts, nginxChanged, signal),
  });
  set({ apply: { stage: 'done', outcome, events: [...events] } });
}

export function applySlice(set: Set, get: Get, deps: { hosts: () => HostSet | null; signal: AbortSignal }): ApplySlice {
  let running: Promise<void> = Promise.resolve();
  const input = () => applyInput(get, deps.hosts());
  return {
    apply: null,
    async proposeApply() {
      const ready = input();
      if (!ready) return set({ apply: { stage: 'refused', reason: 'there is no fix to apply here' } });
      set({ apply: { stage: 'preparing' } });
      const { prepareApply, previewOf } = await import('../fixes/apply/index.js');
      try {
        const prepared = await prepareApply(ready);
        set({ apply: prepared.ok ? { stage: 'consent', prepared, preview: previewOf(prepared, ready.facts) } : { stage: 'refused', reason: prepared.refusal ?? 'unknown' } });
      } catch (e) {
        set({ apply: { stage: 'refused', reason: (e as Error).message } });
      }
    },
    async confirmApply() {
      const state = get().apply;
      const ready = input();
      if (state?.stage !== 'consent' || !ready) return;
      const work = applyConsented(set, get, state.prepared, ready, deps.signal);
      running = work.catch(() => undefined);
      try {
        await work;
      } catch (e) {
        set({ apply: { stage: 'refused', reason: `the apply stopped: ${(e as Error).message}` } });
      }
    },
    cancelApply() {
      set({ apply: null });
    },
    async diagnoseAgain() {
      const state = get().apply;
      const { rewound } = await import('../drive/rediagnose.js');
      // The config is as it was unless a file could not be restored: then routing must be read again.
      const changed = state?.stage === 'done' && state.outcome.changes.some((c) => c.kind === 'edit' && c.program === 'nginx' && c.status !== 'restored' && c.status !== 'planned');
      set({ apply: null, fix: null, session: rewound(get().session, changed), phase: 'running' });
      await get().runRest();
    },
    applying: () => running,
  };
}
