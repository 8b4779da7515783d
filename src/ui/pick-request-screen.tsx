import { Box } from 'ink';
import { useStore } from 'zustand';
import { requestChoices } from '../store/wizard-view.js';
import { Menu } from './menu.js';
import { Header, type WizardStore } from './wizard-frame.js';

/** Another failing request to follow, of those the error logs named; picking one starts over from it. */
export function PickRequestScreen({ store, onClose }: { store: WizardStore; onClose: () => void }) {
  const session = useStore(store, (s) => s.session);
  return (
    <Box flexDirection="column">
      <Header store={store} />
      <Menu
        title="Which failing request should we follow?"
        items={requestChoices(session)}
        onPick={(url) => {
          onClose();
          if (url) void store.getState().chooseRequest(url);
        }}
      />
    </Box>
  );
}
