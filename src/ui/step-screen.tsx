import { Box, useStdout } from 'ink';
import { useStore } from 'zustand';
import { type Choice, questionOf, type ShownStep, shownStep, stepChoices } from '../store/wizard-view.js';
import { evidenceBudget } from './layout.js';
import { Menu } from './menu.js';
import { StepView } from './step-view.js';
import { SYMBOLS, tone } from './theme.js';
import { Trail } from './trail.js';
import { Header, Notes, useQuit, type WizardStore } from './wizard-frame.js';
import { Text } from './text.js';

/** The trail's rows on a terminal this tall: fewer on a short one. */
const trailRowsFor = (rows: number) => (rows < 30 ? 2 : 6);

/** Keep the whole screen inside the terminal: what is left after everything else goes to evidence. */
function evidenceRowsFor(shown: ShownStep, texts: { question: string | undefined; error: string | null; notes: string[]; items: Choice[] }, rows: number, columns: number): number {
  const { node, taken, trail } = shown;
  const meaning = taken && node.kind === 'step' ? node.means?.[taken.outcome] : undefined;
  const trailRows = trailRowsFor(rows);
  const trailShown = trail.trail.length;
  return evidenceBudget(
    rows,
    columns,
    [
      `Why now: ${node.why}`,
      ...(taken ? [`→ ${taken.summary}`] : []),
      ...(meaning ? [`  ${meaning}`] : []),
      ...(texts.question ? [texts.question] : []),
      ...(texts.error ? [texts.error] : []),
      ...texts.notes,
      ...texts.items.map((i) => `  ${i.label}`),
    ],
    1 + Math.min(trailRows, trailShown) + (trailShown > trailRows ? 1 : 0) + 1 + 1 + 1 + 1 + 1,
  );
}

/** A step: running, or just taken with its evidence and branch, or failed; the menu of what next. */
export function StepScreen({ store, onPickRequest }: { store: WizardStore; onPickRequest: () => void }) {
  const session = useStore(store, (s) => s.session);
  const phase = useStore(store, (s) => s.phase);
  const error = useStore(store, (s) => s.error);
  const runningOn = useStore(store, (s) => s.runningOn);
  const notes = useStore(store, (s) => s.notes);
  const quit = useQuit(store);
  const { stdout } = useStdout();
  const rows = stdout.rows || 24;
  const shown = shownStep(session, phase);
  const question = questionOf(session, phase);
  const items = stepChoices(session, phase);
  const evidenceRows = evidenceRowsFor(shown, { question: question?.question, error, notes, items }, rows, stdout.columns || 80);

  const onPick = (value: string) => {
    const actions = store.getState();
    if (value.startsWith('answer:')) actions.answer(Number(value.slice('answer:'.length)));
    else if (value === 'next') void actions.runStep();
    else if (value === 'rest') void actions.runRest();
    else if (value === 'result') actions.showResult();
    else if (value === 'back') void actions.goBack();
    else if (value === 'pick') onPickRequest();
    // start() connects again when connecting was what failed, then runs the step.
    else if (value === 'retry') void actions.start();
    else quit();
  };

  return (
    <Box flexDirection="column">
      <Header store={store} />
      <Notes store={store} />
      <Trail session={shown.trail} shown={trailRowsFor(rows)} />
      <Box marginTop={1}>
        <StepView node={shown.node} taken={shown.taken} running={phase === 'running'} evidenceRows={evidenceRows} />
      </Box>
      {error && (
        <Text color={tone('bad')} wrap="wrap">
          {SYMBOLS.bad} {error}
        </Text>
      )}
      {runningOn && <Text color={tone('dim')}>running the remaining steps…</Text>}
      {items.length > 0 && !runningOn && <Menu title={question?.question} items={items} onPick={onPick} />}
    </Box>
  );
}
