import { Box } from 'ink';
import { useStore } from 'zustand';
import { currentNode, factsOf } from '../engine/session.js';
import { endText } from '../store/text.js';
import { endChoices } from '../store/wizard-view.js';
import { FixView } from './fix-view.js';
import { Menu } from './menu.js';
import { SYMBOLS, tone } from './theme.js';
import { Header, useQuit, type WizardStore } from './wizard-frame.js';
import { Text } from './text.js';
import { TimelineView } from './timeline-view.js';

/** The end of the walk: the path taken, the cause and its fix (or why it escalates), and what next. */
export function EndScreen({ store, onPractice }: { store: WizardStore; onPractice?: (() => void) | undefined }) {
  const session = useStore(store, (s) => s.session);
  const fix = useStore(store, (s) => s.fix);
  const quit = useQuit(store);
  const end = currentNode(session);
  if (end.kind === 'step') return null;
  const history = factsOf(session)['history.report'];
  const onPick = (value: string) => {
    if (value === 'apply') void store.getState().proposeApply();
    else if (value === 'back') void store.getState().goBack();
    else {
      if (value === 'practice') onPractice?.();
      quit();
    }
  };
  return (
    <Box flexDirection="column">
      <Header store={store} />
      <Text color={tone('dim')} wrap="truncate-end">
        {SYMBOLS.ok} {session.trail.length} steps: {session.trail.map((s) => s.outcome).join(` ${SYMBOLS.arrow} `)}
      </Text>
      {history ? <TimelineView history={history} /> : null}
      <FixView node={end} {...endText(end, factsOf(session))} fix={fix} />
      <Menu items={endChoices({ session, fix }, Boolean(onPractice))} onPick={onPick} />
    </Box>
  );
}
