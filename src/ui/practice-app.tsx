import { Box, Text, useApp, useStdout } from 'ink';
import { useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import { currentNode, factsOf, nodeById } from '../engine/session.js';
import { render as fill } from '../flow/template.js';
import type { Flow } from '../flow/schema.js';
import { NOT_BUNDLED, type Incident } from '../practice/incidents.js';
import { createPracticeStore, type PracticeState } from '../practice/practice-store.js';
import { outcomeWords, summarize } from '../practice/predict.js';
import type { Recording } from '../record/recording.js';
import { FixView } from './fix-view.js';
import { Menu } from './menu.js';
import { Spinner } from './spinner.js';
import { EvidenceLines, StepHeading } from './step-view.js';
import { SYMBOLS, tone } from './theme.js';
import { Trail } from './trail.js';

function filled(template: string, facts: ReturnType<typeof factsOf>): string {
  try {
    return fill(template, facts);
  } catch {
    return template;
  }
}

/** The list of bundled incidents; the causes stay hidden (guessing them is the exercise). */
export function PracticeMenu({ incidents, onPick, onQuit }: { incidents: Incident[]; onPick: (id: string) => void; onQuit: () => void }) {
  return (
    <Box flexDirection="column">
      <Text bold>badgateway practice</Text>
      <Text wrap="wrap">Each incident was recorded on a real nginx broken for real. Walk it step by step: before each result shows, say what you expect the check to find.</Text>
      {incidents.length === 0 && <Text color={tone('warn')}>No incidents are installed (the incidents/ folder is missing).</Text>}
      <Menu
        title="Pick an incident:"
        items={[...incidents.map((i, n) => ({ label: `${String(n + 1).padStart(2)}. ${i.title}`, value: i.id })), { label: 'Quit', value: '' }]}
        onPick={(id) => (id ? onPick(id) : onQuit())}
      />
      {NOT_BUNDLED.map((n) => (
        <Text key={n.cause} color={tone('dim')} wrap="wrap">
          Not here: {n.cause}. {n.why}.
        </Text>
      ))}
    </Box>
  );
}

function Summary({ state }: { state: PracticeState }) {
  const result = summarize(state.predictions);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>
        You predicted {result.right} of {result.total} steps right.
      </Text>
      {result.gotRight.length > 0 && (
        <Text color={tone('ok')} wrap="wrap">
          {SYMBOLS.ok} Right: {result.gotRight.map((p) => p.title).join('; ')}
        </Text>
      )}
      {result.review.length === 0 ? (
        <Text color={tone('ok')}>Nothing to review: every prediction was right.</Text>
      ) : (
        <Box flexDirection="column">
          <Text color={tone('warn')}>To review, in the guide:</Text>
          {result.review.map((r) => (
            <Box key={r.guide.id} flexDirection="column">
              <Text wrap="wrap">
                {'  '}
                {SYMBOLS.warn} {r.guide.title}
              </Text>
              {r.missed.map((p) => (
                <Text key={p.node} color={tone('dim')} wrap="wrap">
                  {'      '}
                  {p.title}: you said {outcomeWords(p.predicted)}, it found {outcomeWords(p.actual)}
                </Text>
              ))}
            </Box>
          ))}
        </Box>
      )}
    </Box>
  );
}

/** One incident: predict, reveal with the reason, score, and the summary at the end. */
export function PracticeRun({ store, onDone }: { store: StoreApi<PracticeState>; onDone: (again: boolean) => void }) {
  const state = useStore(store, (s) => s);
  const rows = useStdout().stdout.rows || 24;
  const evidenceRows = Math.max(3, rows - 18);
  useEffect(() => {
    void store.getState().start();
  }, [store]);

  const { session, phase, predictions, incident } = state;
  const facts = factsOf(session);
  const right = predictions.filter((p) => p.right).length;
  const header = (
    <Text wrap="truncate-end">
      <Text bold>badgateway practice</Text>
      <Text color={tone('dim')}>
        {' '}
        · {incident.title} · score {right}/{predictions.length}
      </Text>
    </Text>
  );
  const quit = { label: 'Quit practice', value: 'quit' };

  if (phase === 'failed') {
    return (
      <Box flexDirection="column">
        {header}
        <Text color={tone('bad')} wrap="wrap">
          {SYMBOLS.bad} This incident could not be replayed: {state.error}
        </Text>
        <Menu items={[{ label: 'Back to the incidents', value: 'again' }, quit]} onPick={(v) => onDone(v === 'again')} />
      </Box>
    );
  }

  if (phase === 'finished') {
    const end = currentNode(session);
    return (
      <Box flexDirection="column">
        {header}
        {end.kind !== 'step' && (
          <FixView node={end} title={filled(end.title, facts)} why={filled(end.why, facts)} caution={end.kind === 'fix' && end.caution ? filled(end.caution, facts) : null} fix={state.fix} />
        )}
        <Summary state={state} />
        <Menu items={[{ label: 'Practice another incident', value: 'again' }, quit]} onPick={(v) => onDone(v === 'again')} />
      </Box>
    );
  }

  if (phase === 'reveal') {
    const taken = session.trail.at(-1);
    const last = predictions.at(-1);
    const node = taken ? nodeById(session.flow, taken.node) : null;
    if (!taken || !last || node?.kind !== 'step') return header;
    const next = nodeById(session.flow, taken.next);
    const means = node.means?.[taken.outcome];
    return (
      <Box flexDirection="column">
        {header}
        <Trail session={{ ...session, trail: session.trail.slice(0, -1) }} shown={3} />
        <Box marginTop={1} flexDirection="column">
          <Text bold color={tone('accent')}>
            {node.title}
          </Text>
          {last.right ? (
            <Text color={tone('ok')} wrap="wrap">
              {SYMBOLS.ok} Right: {outcomeWords(taken.outcome)}
            </Text>
          ) : (
            <Text color={tone('bad')} wrap="wrap">
              {SYMBOLS.bad} You said "{outcomeWords(last.predicted)}"; the check found: {outcomeWords(taken.outcome)}
            </Text>
          )}
          <EvidenceLines evidence={taken.evidence} budget={evidenceRows} />
          <Text wrap="wrap">
            <Text color={tone('accent')}>{SYMBOLS.arrow}</Text> {taken.summary}
          </Text>
          <Text wrap="wrap">Why: {means ?? node.why}</Text>
          <Text color={tone('dim')} wrap="wrap">
            Guide: {last.guide.title} · next: {filled(next.title, facts)}
          </Text>
        </Box>
        <Menu
          items={[{ label: next.kind === 'step' ? `Continue: ${next.title}` : 'Show the result and your score', value: 'next' }, quit]}
          onPick={(v) => (v === 'next' ? void store.getState().next() : onDone(false))}
        />
      </Box>
    );
  }

  const node = currentNode(session);
  return (
    <Box flexDirection="column">
      {header}
      {session.trail.length === 0 && incident.story && (
        <Text wrap="wrap" color={tone('warn')}>
          {incident.story}
        </Text>
      )}
      <Trail session={session} shown={3} />
      <Box marginTop={1} flexDirection="column">
        <StepHeading node={node} />
      </Box>
      {phase === 'running' && <Spinner label="reading the recording…" />}
      {phase === 'predict' && (
        <Menu
          title="What will this check find?"
          items={[...state.options.map((o) => ({ label: o.label, value: `o:${o.outcome}` })), quit]}
          onPick={(v) => (v.startsWith('o:') ? store.getState().predict(v.slice(2)) : onDone(false))}
        />
      )}
    </Box>
  );
}

export interface PracticeRootProps {
  flow: Flow;
  incidents: Incident[];
  load: (id: string) => { incident: Incident; recording: Recording };
  /** Start on this incident instead of the menu. */
  initial?: string;
}

/** `badgateway practice`: the menu, then an incident, then the menu again until the learner quits. */
export function PracticeRoot({ flow, incidents, load, initial }: PracticeRootProps) {
  const { exit } = useApp();
  const [picked, setPicked] = useState<string | null>(initial ?? null);
  const [round, setRound] = useState(0);
  const store = useMemo(() => {
    if (!picked) return null;
    const { incident, recording } = load(picked);
    return createPracticeStore({ flow, recording, incident });
    // A new round of the same incident gets a fresh store.
  }, [picked, round, flow, load]);
  if (!store) return <PracticeMenu incidents={incidents} onPick={(id) => (setPicked(id), setRound((r) => r + 1))} onQuit={exit} />;
  return <PracticeRun key={`${picked}:${round}`} store={store} onDone={(again) => (again ? setPicked(null) : exit())} />;
}
