import { Box } from 'ink';
import { useStore } from 'zustand';
import { currentNode } from '../engine/session.js';
import { Spinner } from './spinner.js';
import { StepView } from './step-view.js';
import { Header, Notes, type WizardStore } from './wizard-frame.js';

/** The first step's heading while the hosts connect. */
export function ConnectingScreen({ store }: { store: WizardStore }) {
  const node = useStore(store, (s) => currentNode(s.session));
  const hostLabel = useStore(store, (s) => s.hostLabel);
  return (
    <Box flexDirection="column">
      <Header store={store} />
      <Notes store={store} />
      <Box marginTop={1}>
        <StepView node={node} taken={null} running={false} evidenceRows={0} />
      </Box>
      <Spinner label={`connecting to ${hostLabel}…`} />
    </Box>
  );
}
