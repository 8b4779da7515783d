import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { screenOf } from '../store/wizard-view.js';
import { ApplyScreen } from './apply-screen.js';
import { ConnectingScreen } from './connecting-screen.js';
import { EndScreen } from './end-screen.js';
import { PickRequestScreen } from './pick-request-screen.js';
import { PromptScreen } from './prompt-screen.js';
import { StepScreen } from './step-screen.js';
import type { WizardStore } from './wizard-frame.js';

/**
 * The wizard: one screen per phase (a question to the person, connecting, a step, the end, applying the
 * fix), chosen from the store's state. The store is made and wired to its hosts by the mode (src/modes/wizard.tsx).
 */
export function App({ store, onPractice }: { store: WizardStore; onPractice?: () => void }) {
  const screen = useStore(store, screenOf);
  const prompt = useStore(store, (s) => s.prompt);
  const [picking, setPicking] = useState(false);

  useEffect(() => {
    void store.getState().start();
  }, [store]);

  if (screen === 'prompt' && prompt) return <PromptScreen store={store} prompt={prompt} />;
  if (screen === 'connecting') return <ConnectingScreen store={store} />;
  if (screen === 'apply') return <ApplyScreen store={store} />;
  if (screen === 'end') return <EndScreen store={store} onPractice={onPractice} />;
  if (picking) return <PickRequestScreen store={store} onClose={() => setPicking(false)} />;
  return <StepScreen store={store} onPickRequest={() => setPicking(true)} />;
}
