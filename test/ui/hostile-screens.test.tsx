import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplyOutcome } from '../../src/fixes/apply/run.js';
import type { Prepared } from '../../src/fixes/apply/prepare.js';
import type { FixPlan } from '../../src/fixes/plan.js';
import type { EndNode } from '../../src/flow/schema.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { parseConfigText } from '../../src/nginx/parse-dump.js';
import { shownCommand } from '../../src/shell/quote.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { ApplyView } from '../../src/ui/apply-view.js';
import { FixView } from '../../src/ui/fix-view.js';
import { PracticeMenu } from '../../src/ui/practice-menu.js';
import { PromptScreen } from '../../src/ui/prompt-screen.js';
import { EvidenceLines } from '../../src/ui/step-view.js';
import { firstRawControl, HOSTILE as H } from '../hostile.js';
import { KEY, press, waitForFrame } from './keys.js';
import { FLOW, NO_COMMANDS, sessionAlong } from './sessions.js';

/**
 * Issue 16: a box, a recording, a flow file or an argument may hold terminal controls in any value a
 * screen shows. Every field of the real screens gets the hostile text; no frame may carry it raw.
 */
const unmounts: (() => void)[] = [];
afterEach(() => unmounts.splice(0).forEach((u) => u()));

function mount(node: Parameters<typeof render>[0]) {
  const view = render(node);
  unmounts.push(view.unmount);
  return view;
}

function expectClean(frame: string | undefined): void {
  expect(frame ?? '').toContain('evil');
  expect(firstRawControl(frame ?? '')).toBeNull();
}

const CONF = `/etc/nginx/sites-enabled/${H}`;

function hostileWalk() {
  const { parsed } = parseConfigText('upstream app {\n    server 127.0.0.1:9001;\n}\nserver {\n    listen 8080;\n    location / { proxy_pass http://app; }\n}\n', CONF);
  const session = sessionAlong([
    { outcome: 'running', summary: `nginx ${H} runs`, learned: { 'nginx.test': ['nginx', '-t', H], 'nginx.reload': ['systemctl', 'reload', H] }, lines: [H] },
    { outcome: 'valid', summary: H, learned: { 'nginx.config': { files: [{ file: CONF, parsed }], tree: parsed, errors: [] }, 'nginx.workerUser': H }, lines: [H] },
    { outcome: 'given', summary: H, learned: { 'request.url': `http://127.0.0.1:8080/${H}` } },
    { outcome: 'proxied', summary: H, learned: { 'upstream.target': '127.0.0.1:9001', 'upstream.host': '127.0.0.1', 'upstream.port': 9001, 'upstream.place': { file: CONF, line: 2 } } },
    { outcome: 'refused', summary: H, lines: [H] },
    { outcome: 'tcp', summary: H },
    { outcome: 'other-port', summary: H, learned: { 'backend.listenAt': '127.0.0.1:9002', 'backend.port': 9002, 'backend.process': H }, lines: [H] },
  ]);
  // The last step's evidence: a command with a hostile argument, a probe, a note, every line.
  const last = session.trail.at(-1);
  if (last) last.evidence = [{ command: shownCommand(['ss', '-Hltnxp', H]), probe: H, note: H, lines: [H, H] }];
  return session;
}

describe('no screen shows a raw control, whatever the box, recording, flow or argument held', () => {
  it('the step screen and the fix screen of a walk with hostile values everywhere', async () => {
    const store = createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), session: hostileWalk(), hostLabel: H });
    store.setState({ hostLabel: H, notes: [H] });
    const view = mount(<App store={store} />);
    expectClean(await waitForFrame(view.lastFrame, (f) => f.includes('Show the result')));
    await press(view.stdin, view.lastFrame, KEY.enter);
    expectClean(await waitForFrame(view.lastFrame, (f) => f.includes('Cause: wrong-port')));
  });

  it('an error the session failed with', async () => {
    const store = createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), session: hostileWalk() });
    const view = mount(<App store={store} />);
    await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    store.setState({ phase: 'failed', error: `could not read ${H}` });
    expectClean(await waitForFrame(view.lastFrame, (f) => f.includes('could not read')));
  });

  it('the fix view: edits, commands, notes, title, why and caution', () => {
    const node = FLOW.nodes['escalate-unknown'] ?? Object.values(FLOW.nodes).find((n) => n.kind === 'end');
    const fix: FixPlan = {
      commands: [{ argv: ['chmod', '660', H], why: H, durable: true }],
      edits: [{ file: H, line: 3, before: `${H}\n${H}`, after: H, why: H }],
      notes: [H],
    } as FixPlan;
    const view = mount(<FixView node={{ ...(node as EndNode), collect: [H] }} title={H} why={H} caution={H} fix={fix} />);
    expectClean(view.lastFrame());
    expect(view.lastFrame()).toContain("$ chmod 660 $'evil\\x1b]52;c;");
  });

  it('evidence lines: the command, a probe, the note and the lines', () => {
    const view = mount(<EvidenceLines evidence={[{ command: shownCommand(['cat', H]), probe: H, note: H, lines: [H] }]} budget={10} />);
    expectClean(view.lastFrame());
  });

  it('every stage of applying a fix', () => {
    const prepared = { host: H } as Prepared;
    const outcome: ApplyOutcome = {
      id: H,
      applied: true,
      verified: false,
      rolledBack: true,
      interrupted: false,
      failure: H,
      changes: [{ kind: 'command', command: H, argv: [H], why: H, durable: false, action: H, status: 'ran', changed: H, undo: null, undoText: H }],
      backups: [H],
      rollback: [H],
      verification: { ok: false, summary: H } as ApplyOutcome['verification'],
      after: { cause: 'wrong-port', title: H } as ApplyOutcome['after'],
      journal: H,
      host: H,
    };
    const events = [{ step: 'swap', status: 'fail' as const, text: H }];
    const stages = [
      { stage: 'refused' as const, reason: H },
      {
        stage: 'consent' as const,
        prepared,
        preview: [
          { kind: 'command' as const, text: H },
          { kind: 'removed' as const, text: H },
        ],
      },
      { stage: 'applying' as const, events },
      { stage: 'done' as const, outcome, events },
    ];
    for (const state of stages) expectClean(mount(<ApplyView state={state} onPick={() => {}} />).lastFrame());
  });

  it('a question put to the person, its options, and the practice menu', () => {
    const store = createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), hostLabel: H });
    const prompt = { kind: 'choice' as const, question: H, options: [{ label: H, value: 'a' }], answer: () => {} };
    expectClean(mount(<PromptScreen store={store} prompt={prompt} />).lastFrame());
    expectClean(mount(<PracticeMenu incidents={[{ id: H, cause: 'wrong-port', title: H, story: H, file: H }]} onPick={() => {}} onQuit={() => {}} />).lastFrame());
  });
});
