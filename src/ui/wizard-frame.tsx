import { useApp } from 'ink';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import { factsOf } from '../engine/session.js';
import type { WizardState } from '../store/wizard-state.js';
import { SYMBOLS, tone } from './theme.js';
import { Text } from './text.js';

export type WizardStore = StoreApi<WizardState>;

/** The line every wizard screen starts with: the flow, the host, the failing request. */
export function Header({ store }: { store: WizardStore }) {
  const title = useStore(store, (s) => s.session.flow.title);
  const hostLabel = useStore(store, (s) => s.hostLabel);
  const url = useStore(store, (s) => factsOf(s.session)['request.url']);
  return (
    <Text wrap="truncate-end">
      <Text bold>badgateway</Text>
      <Text color={tone('dim')}>
        {' '}
        · {title} · {hostLabel}
        {url ? ` · ${url}` : ''}
      </Text>
    </Text>
  );
}

/** What the session wants the person to read (unprivileged host, a key added to known_hosts). */
export function Notes({ store }: { store: WizardStore }) {
  const notes = useStore(store, (s) => s.notes);
  return notes.map((note, i) => (
    <Text key={`note${i}`} color={tone('warn')} wrap="wrap">
      {SYMBOLS.warn} {note}
    </Text>
  ));
}

/** Quitting: the store stops what runs (an apply rolls back first), then the app ends. */
export function useQuit(store: WizardStore): () => void {
  const { exit } = useApp();
  return () => {
    store.getState().quit();
    exit();
  };
}
