import { Box, Text, useApp } from 'ink';
import React, { useEffect, useState } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { currentNode, factsOf, nodeById } from '../engine/session.js';
import { render as fill } from '../flow/template.js';
import type { WizardState } from '../store/session-store.js';
import { FixView } from './fix-view.js';
import { Menu, type MenuItem } from './menu.js';
import { StepView } from './step-view.js';
import { SYMBOLS, tone } from './theme.js';
import { Trail } from './trail.js';

function filled(template: string, facts: ReturnType<typeof factsOf>): string {
  try {
    return fill(template, facts);
  } catch {
    return template;
  }
}

export function App({ store }: { store: StoreApi<WizardState> }) {
  const session = useStore(store, (s) => s.session);
  const phase = useStore(store, (s) => s.phase);
  const error = useStore(store, (s) => s.error);
  const fix = useStore(store, (s) => s.fix);
  const hostLabel = useStore(store, (s) => s.hostLabel);
  const runningOn = useStore(store, (s) => s.runningOn);
  const [picking, setPicking] = useState(false);
  const { exit } = useApp();

  useEffect(() => {
    void store.getState().runStep();
  }, [store]);

  const quit = () => {
    store.getState().quit();
    exit();
  };
  const facts = factsOf(session);
  const current = currentNode(session);
  const last = session.trail.at(-1) ?? null;
  const showsCurrent = phase === 'running' || phase === 'failed' || !last;
  const shownNode = showsCurrent ? current : nodeById(session.flow, last.node);
  const header = (
    <Text wrap="truncate-end">
      <Text bold>badgateway</Text>
      <Text color={tone('dim')}>
        {' '}
        · {session.flow.title} · {hostLabel}
        {facts['request.url'] ? ` · ${facts['request.url']}` : ''}
      </Text>
    </Text>
  );

  if (phase === 'finished' && current.kind !== 'step') {
    return (
      <Box flexDirection="column">
        {header}
        <Text color={tone('dim')} wrap="truncate-end">
          {SYMBOLS.ok} {session.trail.length} steps: {session.trail.map((s) => s.outcome).join(` ${SYMBOLS.arrow} `)}
        </Text>
        <FixView node={current} title={filled(current.title, facts)} why={filled(current.why, facts)} caution={current.kind === 'fix' && current.caution ? filled(current.caution, facts) : null} fix={fix} />
        <Menu items={[...(session.trail.length ? [{ label: 'Back: run the last step again', value: 'back' }] : []), { label: 'Quit', value: 'quit' }]} onPick={(v) => (v === 'back' ? void store.getState().goBack() : quit())} />
      </Box>
    );
  }

  const candidates = facts['request.candidates'] ?? [];
  if (picking) {
    return (
      <Box flexDirection="column">
        {header}
        <Menu
          title="Which failing request should we follow?"
          items={[...candidates.map((url) => ({ label: url, value: url })), { label: 'Cancel', value: '' }]}
          onPick={(url) => {
            setPicking(false);
            if (url) void store.getState().chooseRequest(url);
          }}
        />
      </Box>
    );
  }

  const items: MenuItem[] = [];
  if (phase === 'review' && current.kind === 'step') items.push({ label: `Continue: ${current.title}`, value: 'next' }, { label: 'Run the remaining steps without stopping', value: 'rest' });
  if (phase === 'review' && current.kind !== 'step') items.push({ label: `Show the result: ${filled(current.title, facts)}`, value: 'result' });
  if (phase === 'review' && last && candidates.length > 1 && nodeById(session.flow, last.node).kind === 'step' && (nodeById(session.flow, last.node) as { check: string }).check === 'request.find') {
    items.push({ label: `Choose another failing request (${candidates.length} found)`, value: 'pick' });
  }
  if (phase === 'failed') items.push({ label: 'Try this step again', value: 'retry' });
  if (last && phase !== 'running') items.push({ label: `Back: run "${nodeById(session.flow, last.node).title}" again`, value: 'back' });
  if (phase !== 'running') items.push({ label: 'Quit', value: 'quit' });

  const onPick = (value: string) => {
    const actions = store.getState();
    if (value === 'next' || value === 'retry') void actions.runStep();
    else if (value === 'rest') void actions.runRest();
    else if (value === 'result') actions.showResult();
    else if (value === 'back') void actions.goBack();
    else if (value === 'pick') setPicking(true);
    else quit();
  };

  return (
    <Box flexDirection="column">
      {header}
      <Trail session={showsCurrent ? session : { ...session, trail: session.trail.slice(0, -1) }} />
      <Box marginTop={1}>
        <StepView node={shownNode} taken={showsCurrent ? null : last} running={phase === 'running'} />
      </Box>
      {error && (
        <Text color={tone('bad')} wrap="wrap">
          {SYMBOLS.bad} {error}
        </Text>
      )}
      {runningOn && <Text color={tone('dim')}>running the remaining steps…</Text>}
      {items.length > 0 && !runningOn && <Menu items={items} onPick={onPick} />}
    </Box>
  );
}
