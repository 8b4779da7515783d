import { Box, useApp } from 'ink';
import type { ReactNode } from 'react';
import { useEffect } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import { currentNode, factsOf } from '../engine/session.js';
import type { PracticeRootState, PracticeState } from '../practice/practice-store.js';
import { endText } from '../store/text.js';
import { FixView } from './fix-view.js';
import { Menu } from './menu.js';
import { PracticeMenu } from './practice-menu.js';
import { PracticeReveal } from './practice-reveal.js';
import { ScoreSummary } from './practice-summary.js';
import { Spinner } from './spinner.js';
import { StepHeading } from './step-view.js';
import { SYMBOLS, tone } from './theme.js';
import { Trail } from './trail.js';
import { Text } from './text.js';

type RunStore = StoreApi<PracticeState>;
const QUIT = { label: 'Quit practice', value: 'quit' };

function PracticeHeader({ store }: { store: RunStore }) {
  const title = useStore(store, (s) => s.incident.title);
  const predictions = useStore(store, (s) => s.predictions);
  return (
    <Text wrap="truncate-end">
      <Text bold>badgateway practice</Text>
      <Text color={tone('dim')}>
        {' '}
        · {title} · score {predictions.filter((p) => p.right).length}/{predictions.length}
      </Text>
    </Text>
  );
}

/** The recording could not be replayed along its path. */
function PracticeFailed({ store, header, onDone }: { store: RunStore; header: ReactNode; onDone: (again: boolean) => void }) {
  const error = useStore(store, (s) => s.error);
  return (
    <Box flexDirection="column">
      {header}
      <Text color={tone('bad')} wrap="wrap">
        {SYMBOLS.bad} This incident could not be replayed: {error}
      </Text>
      <Menu items={[{ label: 'Back to the incidents', value: 'again' }, QUIT]} onPick={(v) => onDone(v === 'again')} />
    </Box>
  );
}

/** The end of the incident: its fix (or escalation), then the score and what to review. */
function PracticeFinished({ store, header, onDone }: { store: RunStore; header: ReactNode; onDone: (again: boolean) => void }) {
  const session = useStore(store, (s) => s.session);
  const fix = useStore(store, (s) => s.fix);
  const predictions = useStore(store, (s) => s.predictions);
  const end = currentNode(session);
  return (
    <Box flexDirection="column">
      {header}
      {end.kind !== 'step' && <FixView node={end} {...endText(end, factsOf(session))} fix={fix} />}
      <ScoreSummary predictions={predictions} />
      <Menu items={[{ label: 'Practice another incident', value: 'again' }, QUIT]} onPick={(v) => onDone(v === 'again')} />
    </Box>
  );
}

/** The step ahead, its result hidden: the story first, then "what will this check find?". */
function PracticePredict({ store, header, onQuit }: { store: RunStore; header: ReactNode; onQuit: () => void }) {
  const session = useStore(store, (s) => s.session);
  const phase = useStore(store, (s) => s.phase);
  const story = useStore(store, (s) => s.incident.story);
  const options = useStore(store, (s) => s.options);
  return (
    <Box flexDirection="column">
      {header}
      {session.trail.length === 0 && story && (
        <Text wrap="wrap" color={tone('warn')}>
          {story}
        </Text>
      )}
      <Trail session={session} shown={3} />
      <Box marginTop={1} flexDirection="column">
        <StepHeading node={currentNode(session)} />
      </Box>
      {phase === 'running' && <Spinner label="reading the recording…" />}
      {phase === 'predict' && (
        <Menu
          title="What will this check find?"
          items={[...options.map((o) => ({ label: o.label, value: `o:${o.outcome}` })), QUIT]}
          onPick={(v) => (v.startsWith('o:') ? store.getState().predict(v.slice(2)) : onQuit())}
        />
      )}
    </Box>
  );
}

/** One incident: predict, reveal with the reason, score, and the summary at the end. */
export function PracticeRun({ store, onDone }: { store: RunStore; onDone: (again: boolean) => void }) {
  const phase = useStore(store, (s) => s.phase);
  useEffect(() => {
    void store.getState().start();
  }, [store]);
  const header = <PracticeHeader store={store} />;
  const quit = () => onDone(false);
  if (phase === 'failed') return <PracticeFailed store={store} header={header} onDone={onDone} />;
  if (phase === 'finished') return <PracticeFinished store={store} header={header} onDone={onDone} />;
  if (phase === 'reveal') return <PracticeReveal store={store} header={header} onQuit={quit} />;
  return <PracticePredict store={store} header={header} onQuit={quit} />;
}

/** `badgateway practice`: the menu, then an incident, then the menu again until the learner quits. */
export function PracticeRoot({ store }: { store: StoreApi<PracticeRootState> }) {
  const { exit } = useApp();
  const incidents = useStore(store, (s) => s.incidents);
  const run = useStore(store, (s) => s.run);
  const round = useStore(store, (s) => s.round);
  if (!run) return <PracticeMenu incidents={incidents} onPick={(id) => store.getState().pick(id)} onQuit={exit} />;
  return <PracticeRun key={round} store={run} onDone={(again) => (again ? store.getState().toMenu() : exit())} />;
}
