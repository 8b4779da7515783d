import { Box } from 'ink';
import { useStore } from 'zustand';
import type { ApplyState } from '../store/wizard-state.js';
import { ApplyView } from './apply-view.js';
import { Header, Notes, useQuit, type WizardStore } from './wizard-frame.js';

/** Applying the fix: what will change and the consent, each step as it runs, then the result. */
export function ApplyScreen({ store }: { store: WizardStore }) {
  const apply = useStore(store, (s) => s.apply) as ApplyState;
  const quit = useQuit(store);
  const onPick = (value: string) => {
    const actions = store.getState();
    if (value === 'yes') void actions.confirmApply();
    else if (value === 'no' || value === 'fix') actions.cancelApply();
    else if (value === 'again') void actions.diagnoseAgain();
    else quit();
  };
  return (
    <Box flexDirection="column">
      <Header store={store} />
      <Notes store={store} />
      <ApplyView state={apply} onPick={onPick} />
    </Box>
  );
}
