import { Box, Text, useApp, useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { currentNode, factsOf, nodeById } from '../engine/session.js';
import { render as fill } from '../flow/template.js';
import { stripControl } from '../shell/sanitize.js';
import type { WizardState } from '../store/session-store.js';
import { applicability } from '../fixes/apply/applicable.js';
import { ApplyView } from './apply-view.js';
import { FixView } from './fix-view.js';
import { Menu, type MenuItem } from './menu.js';
import { evidenceBudget } from './layout.js';
import { SecretInput } from './secret-input.js';
import { Spinner } from './spinner.js';
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

/** Where the wizard ends on a box with no nginx to diagnose: practice on a recorded incident instead. */
const PRACTICE_ENDS = new Set(['end-no-nginx', 'end-nginx-not-running']);

export function App({ store, onPractice }: { store: StoreApi<WizardState>; onPractice?: () => void }) {
  const session = useStore(store, (s) => s.session);
  const phase = useStore(store, (s) => s.phase);
  // The host's label and an error can quote a recording or a box: shown as text only.
  const error = useStore(store, (s) => (s.error === null ? null : stripControl(s.error)));
  const fix = useStore(store, (s) => s.fix);
  const hostLabel = useStore(store, (s) => stripControl(s.hostLabel));
  const runningOn = useStore(store, (s) => s.runningOn);
  const prompt = useStore(store, (s) => s.prompt);
  const notes = useStore(store, (s) => s.notes);
  const apply = useStore(store, (s) => s.apply);
  const [picking, setPicking] = useState(false);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const rows = stdout.rows || 24;
  const columns = stdout.columns || 80;
  const trailRows = rows < 30 ? 2 : 6;

  useEffect(() => {
    void store.getState().start();
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

  const noteLines = notes.map((note, i) => (
    <Text key={`note${i}`} color={tone('warn')} wrap="wrap">
      {SYMBOLS.warn} {note}
    </Text>
  ));

  if (prompt) {
    return (
      <Box flexDirection="column">
        {header}
        {noteLines}
        {prompt.kind === 'secret' ? (
          <SecretInput question={prompt.question} onAnswer={prompt.answer} />
        ) : (
          <Box flexDirection="column" marginTop={1}>
            <Text wrap="wrap">{prompt.question}</Text>
            <Menu items={prompt.options} onPick={prompt.answer} />
          </Box>
        )}
      </Box>
    );
  }

  if (phase === 'connecting') {
    return (
      <Box flexDirection="column">
        {header}
        {noteLines}
        <Box marginTop={1}>
          <StepView node={current} taken={null} running={false} evidenceRows={0} />
        </Box>
        <Spinner label={`connecting to ${hostLabel}…`} />
      </Box>
    );
  }

  if (apply) {
    const onApply = (value: string) => {
      const actions = store.getState();
      if (value === 'yes') void actions.confirmApply();
      else if (value === 'no' || value === 'fix') actions.cancelApply();
      else if (value === 'again') void actions.diagnoseAgain();
      else quit();
    };
    return (
      <Box flexDirection="column">
        {header}
        {noteLines}
        <ApplyView state={apply} onPick={onApply} />
      </Box>
    );
  }

  if (phase === 'finished' && current.kind !== 'step') {
    const canApply = current.kind === 'fix' && applicability(fix, facts, current.cause ?? null).applicable;
    return (
      <Box flexDirection="column">
        {header}
        <Text color={tone('dim')} wrap="truncate-end">
          {SYMBOLS.ok} {session.trail.length} steps: {session.trail.map((s) => s.outcome).join(` ${SYMBOLS.arrow} `)}
        </Text>
        <FixView
          node={current}
          title={filled(current.title, facts)}
          why={filled(current.why, facts)}
          caution={current.kind === 'fix' && current.caution ? filled(current.caution, facts) : null}
          fix={fix}
        />
        <Menu
          items={[
            ...(canApply ? [{ label: 'Apply this fix: see exactly what will run, then decide', value: 'apply' }] : []),
            ...(onPractice && PRACTICE_ENDS.has(current.id) ? [{ label: 'Practice on a recorded incident', value: 'practice' }] : []),
            ...(session.trail.length ? [{ label: 'Back: run the last step again', value: 'back' }] : []),
            { label: 'Quit', value: 'quit' },
          ]}
          onPick={(v) => (v === 'apply' ? void store.getState().proposeApply() : v === 'back' ? void store.getState().goBack() : v === 'practice' && onPractice ? (onPractice(), quit()) : quit())}
        />
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
  const question = phase === 'review' ? last?.ask : undefined;
  if (question) question.alternatives.forEach((alternative, index) => items.push({ label: alternative.label, value: `answer:${index}` }));
  else if (phase === 'review' && current.kind === 'step') items.push({ label: `Continue: ${current.title}`, value: 'next' }, { label: 'Run the remaining steps without stopping', value: 'rest' });
  else if (phase === 'review') items.push({ label: `Show the result: ${filled(current.title, facts)}`, value: 'result' });
  const lastNode = last ? nodeById(session.flow, last.node) : null;
  if (phase === 'review' && candidates.length > 1 && lastNode?.kind === 'step' && lastNode.check === 'request.find') {
    items.push({ label: `Choose another failing request (${candidates.length} found)`, value: 'pick' });
  }
  if (phase === 'failed') items.push({ label: 'Try this step again', value: 'retry' });
  if (lastNode && phase !== 'running') items.push({ label: `Back: run "${lastNode.title}" again`, value: 'back' });
  if (phase !== 'running') items.push({ label: 'Quit', value: 'quit' });

  const onPick = (value: string) => {
    const actions = store.getState();
    if (value.startsWith('answer:')) actions.answer(Number(value.slice('answer:'.length)));
    else if (value === 'next') void actions.runStep();
    else if (value === 'rest') void actions.runRest();
    else if (value === 'result') actions.showResult();
    else if (value === 'back') void actions.goBack();
    else if (value === 'pick') setPicking(true);
    // start() connects again when connecting was what failed, then runs the step.
    else if (value === 'retry') void actions.start();
    else quit();
  };

  // Keep the whole screen inside the terminal: what is left after everything else goes to evidence.
  const trailShown = showsCurrent ? session.trail.length : session.trail.length - 1;
  const taken = showsCurrent ? null : last;
  const meaning = taken && shownNode.kind === 'step' ? shownNode.means?.[taken.outcome] : undefined;
  const evidenceRows = evidenceBudget(
    rows,
    columns,
    [
      `Why now: ${shownNode.why}`,
      ...(taken ? [`→ ${taken.summary}`] : []),
      ...(meaning ? [`  ${meaning}`] : []),
      ...(question ? [question.question] : []),
      ...(error ? [error] : []),
      ...notes,
      ...items.map((i) => `  ${i.label}`),
    ],
    1 + Math.min(trailRows, trailShown) + (trailShown > trailRows ? 1 : 0) + 1 + 1 + 1 + 1 + 1,
  );

  return (
    <Box flexDirection="column">
      {header}
      {noteLines}
      <Trail session={showsCurrent ? session : { ...session, trail: session.trail.slice(0, -1) }} shown={trailRows} />
      <Box marginTop={1}>
        <StepView node={shownNode} taken={showsCurrent ? null : last} running={phase === 'running'} evidenceRows={evidenceRows} />
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
