import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepNode } from '../../src/flow/schema.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { GUIDE_STEPS } from '../../src/flow/guide-steps.js';
import { listIncidents, loadIncident } from '../../src/practice/incidents.js';
import { predictionOptions } from '../../src/practice/predict.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { PracticeRoot } from '../../src/ui/practice-app.js';
import { createPracticeRootStore } from '../../src/practice/practice-store.js';
import { KEY, press, waitForFrame } from './keys.js';
import { FLOW, NO_COMMANDS, sessionAlong } from './sessions.js';

const unmounts: (() => void)[] = [];
afterEach(() => unmounts.splice(0).forEach((u) => u()));

/** Moves the menu's cursor down `n` times, then picks. */
async function pick(view: ReturnType<typeof render>, n: number): Promise<string> {
  for (let i = 0; i < n; i++) await press(view.stdin, view.lastFrame, KEY.down);
  return press(view.stdin, view.lastFrame, KEY.enter);
}

describe('badgateway practice', () => {
  it('the menu lists the bundled incidents by their symptom, and says why SELinux is not there', async () => {
    const incidents = listIncidents();
    const view = render(<PracticeRoot store={createPracticeRootStore({ flow: FLOW, incidents, load: loadIncident })} />);
    unmounts.push(view.unmount);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Pick an incident'));
    // By symptom, in the order of DESIGN.md's causes: the first is a backend that is down.
    expect(incidents[0]?.cause).toBe('backend-down');
    expect(frame).toContain(` 1. ${incidents[0]?.title}`);
    expect(frame).toContain('The orders API answers 502 on every request');
    expect(frame).not.toContain('backend-down');
    expect(frame).toContain('Not here: selinux. SELinux cannot run on Debian');
  });

  it('predict, reveal with the reason, keep score: a right and a wrong prediction, then the summary', async () => {
    const incidents = listIncidents();
    const { recording } = loadIncident('orders-api');
    const view = render(<PracticeRoot store={createPracticeRootStore({ flow: FLOW, incidents, load: loadIncident })} />);
    unmounts.push(view.unmount);
    await waitForFrame(view.lastFrame, (f) => f.includes('Pick an incident'));
    await pick(
      view,
      incidents.findIndex((i) => i.id === 'orders-api'),
    );

    const choices = (index: number) => {
      const taken = recording.trail[index];
      if (!taken) throw new Error(`no step ${index}`);
      return { options: predictionOptions(FLOW, FLOW.nodes[taken.node] as StepNode, taken.outcome, 'orders-api'), actual: taken.outcome, node: taken.node };
    };

    // Step 1, find-nginx: the right answer. The result is hidden until the learner has answered.
    let frame = await waitForFrame(view.lastFrame, (f) => f.includes('What will this check find?'));
    expect(frame).toContain('Ticket: "the orders API is down');
    expect(frame).toContain('Find the nginx that answers');
    expect(frame).not.toContain('nginx 1.22.1 runs as pid');
    const first = choices(0);
    await pick(
      view,
      first.options.findIndex((o) => o.outcome === first.actual),
    );
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('Right:'));
    expect(frame).toContain('✓ Right: running');
    expect(frame).toContain('Why: nginx runs; we use the binary');
    expect(frame).toContain('nginx 1.22.1 runs as pid');
    expect(frame).toContain(`Guide: ${GUIDE_STEPS['upstream-config']} · next:`);
    expect(frame).toContain('score 1/1');
    await pick(view, 0);

    // Step 2, read-config: a wrong answer, and the reason shown.
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('What will this check find?') && f.includes('Read the configuration nginx really uses'));
    const second = choices(1);
    await pick(
      view,
      second.options.findIndex((o) => o.outcome !== second.actual),
    );
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('You said'));
    expect(frame).toMatch(/✗ You said "[a-z ]+"; the check found: valid/);
    expect(frame).toContain('score 1/2');
    await pick(view, 0);

    // The rest: always the first choice, until the summary.
    let expectedRight = 1;
    for (let index = 2; index < recording.trail.length; index++) {
      const { node, options, actual } = choices(index);
      frame = await waitForFrame(view.lastFrame, (f) => f.includes('What will this check find?') && f.includes((FLOW.nodes[node] as StepNode).title));
      if (options[0]?.outcome === actual) expectedRight++;
      await pick(view, 0);
      await waitForFrame(view.lastFrame, (f) => f.includes('Guide:'));
      await pick(view, 0);
    }
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('You predicted'));
    expect(frame).toContain(`You predicted ${expectedRight} of ${recording.trail.length} steps right.`);
    expect(frame).toContain('Cause: backend-down · Start the backend');
    expect(frame).toContain('✓ Right: Find the nginx that answers');
    expect(frame).toContain('To review, in the guide:');
    expect(frame).toContain(`! ${GUIDE_STEPS['upstream-config']}`);
    expect(frame).toMatch(/Read the configuration nginx really uses: you said [a-z ]+, it found valid/);
    expect(frame).toContain('Practice another incident');
    // Back to the menu.
    await pick(view, 0);
    await waitForFrame(view.lastFrame, (f) => f.includes('Pick an incident'));
  }, 60_000);

  it('starts on a named incident, and the wizard on a box without nginx offers practice', async () => {
    const direct = render(<PracticeRoot store={createPracticeRootStore({ flow: FLOW, incidents: listIncidents(), load: loadIncident, initial: 'api-gateway' })} />);
    unmounts.push(direct.unmount);
    expect(await waitForFrame(direct.lastFrame, (f) => f.includes('What will this check find?'))).toContain("The API answers 502, and nginx's error log is empty");

    let practiced = 0;
    const store = createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), session: sessionAlong([{ outcome: 'not-installed', summary: 'nginx is not installed here' }]) });
    const wizard = render(<App store={store} onPractice={() => practiced++} />);
    unmounts.push(wizard.unmount);
    await waitForFrame(wizard.lastFrame, (f) => f.includes('Show the result'));
    await press(wizard.stdin, wizard.lastFrame, KEY.enter);
    const frame = await waitForFrame(wizard.lastFrame, (f) => f.includes('nginx is not installed here') && f.includes('Quit'));
    expect(frame).toContain('Practice on a recorded incident');
    wizard.stdin.write(KEY.enter);
    for (let i = 0; i < 200 && !practiced; i++) await new Promise((r) => setTimeout(r, 10));
    expect(practiced).toBe(1);
  }, 30_000);
});
