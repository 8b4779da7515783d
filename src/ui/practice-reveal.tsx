import { Box, useStdout } from 'ink';
import type { ReactNode } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import { factsOf, nodeById } from '../engine/session.js';
import type { PracticeState } from '../practice/practice-store.js';
import { outcomeWords } from '../practice/predict.js';
import { filled } from '../store/text.js';
import { Menu } from './menu.js';
import { EvidenceLines } from './step-view.js';
import { SYMBOLS, tone } from './theme.js';
import { Trail } from './trail.js';
import { Text } from './text.js';

/** A step's result after the learner's guess: right or not, the evidence, the reason, the guide's step. */
export function PracticeReveal({ store, header, onQuit }: { store: StoreApi<PracticeState>; header: ReactNode; onQuit: () => void }) {
  const session = useStore(store, (s) => s.session);
  const last = useStore(store, (s) => s.predictions.at(-1));
  const rows = useStdout().stdout.rows || 24;
  const evidenceRows = Math.max(3, rows - 18);
  const taken = session.trail.at(-1);
  const node = taken ? nodeById(session.flow, taken.node) : null;
  if (!taken || !last || node?.kind !== 'step') return header;
  const next = nodeById(session.flow, taken.next);
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
        <Text wrap="wrap">Why: {node.means?.[taken.outcome] ?? node.why}</Text>
        <Text color={tone('dim')} wrap="wrap">
          Guide: {last.guide.title} · next: {filled(next.title, factsOf(session))}
        </Text>
      </Box>
      <Menu
        items={[
          { label: next.kind === 'step' ? `Continue: ${next.title}` : 'Show the result and your score', value: 'next' },
          { label: 'Quit practice', value: 'quit' },
        ]}
        onPick={(v) => (v === 'next' ? void store.getState().next() : onQuit())}
      />
    </Box>
  );
}
