import { describe, expect, it } from 'vitest';
import { startSession } from '../../../src/engine/session.js';
import { endChoices, requestChoices, screenOf, shownStep, stepChoices } from '../../../src/store/wizard-view.js';
import { FLOW, sessionAlong } from '../../ui/sessions.js';

const noNginx = () => sessionAlong([{ outcome: 'not-installed', summary: 'nginx is not installed here' }]);

describe('what the wizard screens show, from the store state alone', () => {
  it('picks one screen: a prompt first, then connecting, applying, the end, else a step', () => {
    const session = startSession(FLOW, {});
    const prompt = { kind: 'secret' as const, question: 'passphrase?', answer: () => {} };
    expect(screenOf({ prompt, phase: 'connecting', apply: null, session })).toBe('prompt');
    expect(screenOf({ prompt: null, phase: 'connecting', apply: null, session })).toBe('connecting');
    expect(screenOf({ prompt: null, phase: 'review', apply: { stage: 'preparing' }, session })).toBe('apply');
    expect(screenOf({ prompt: null, phase: 'finished', apply: null, session: noNginx() })).toBe('end');
    expect(screenOf({ prompt: null, phase: 'review', apply: null, session: noNginx() })).toBe('step');
  });

  it('under review, the step just taken stays on screen and the way on is offered; while running, no menu', () => {
    const session = sessionAlong([{ outcome: 'running', summary: 'nginx runs' }]);
    const shown = shownStep(session, 'review');
    expect(shown.taken?.outcome).toBe('running');
    expect(shown.trail.trail).toHaveLength(0);
    expect(stepChoices(session, 'review').map((c) => c.value)).toEqual(['next', 'rest', 'back', 'quit']);
    expect(stepChoices(session, 'running')).toEqual([]);
    expect(stepChoices(session, 'failed').map((c) => c.value)).toEqual(['retry', 'back', 'quit']);
    expect(requestChoices(session)).toEqual([{ label: 'Cancel', value: '' }]);
  });

  it('at an end with no nginx, practice is offered only when the mode can start it; no fix to apply', () => {
    expect(endChoices({ session: noNginx(), fix: null }, true).map((c) => c.value)).toEqual(['practice', 'back', 'quit']);
    expect(endChoices({ session: noNginx(), fix: null }, false).map((c) => c.value)).toEqual(['back', 'quit']);
  });
});
