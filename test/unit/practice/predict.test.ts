import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../src/checks/index.js';
import { loadFlowFile } from '../../../src/flow/loader.js';
import type { StepNode } from '../../../src/flow/schema.js';
import { GUIDE_STEPS } from '../../../src/flow/guide-steps.js';
import { guideStepFor } from '../../../src/practice/guide.js';
import { predictionOptions, scorePrediction, summarize } from '../../../src/practice/predict.js';
import { defaultFlowFile } from '../../../src/flow-files/locate.js';

const FLOW = loadFlowFile(defaultFlowFile());
const steps = Object.values(FLOW.nodes).filter((n): n is StepNode => n.kind === 'step');
const step = (id: string) => FLOW.nodes[id] as StepNode;

describe('prediction choices', () => {
  it('every step of the flow: the real outcome among up to three others of its own branches, stable', () => {
    for (const node of steps) {
      for (const actual of Object.keys(node.on)) {
        const options = predictionOptions(FLOW, node, actual, 'incident-a');
        const outcomes = options.map((o) => o.outcome);
        expect(outcomes).toContain(actual);
        expect(new Set(outcomes).size).toBe(outcomes.length);
        expect(outcomes.length).toBe(Math.min(4, Object.keys(node.on).length));
        for (const o of outcomes) expect(Object.keys(node.on)).toContain(o);
        expect(predictionOptions(FLOW, node, actual, 'incident-a')).toEqual(options);
      }
    }
  });

  it("prefers outcomes that lead elsewhere, and words them with the flow's own means", () => {
    const options = predictionOptions(FLOW, step('error-log'), 'refused', 'x');
    const next = new Set(options.map((o) => step('error-log').on[o.outcome]));
    expect(next.size).toBe(options.length);
    expect(options.find((o) => o.outcome === 'refused')?.label).toBe('refused: 111: Connection refused: nothing accepted the connection at that a…');
    for (const node of steps) for (const o of Object.keys(node.on)) expect(predictionOptions(FLOW, node, o, 's').every((c) => c.label.length <= 76)).toBe(true);
  });

  it('the real answer is not always first', () => {
    const firsts = steps.map((node) => predictionOptions(FLOW, node, Object.keys(node.on)[0] as string, 'seed')[0]?.outcome === Object.keys(node.on)[0]);
    expect(firsts.some((f) => !f)).toBe(true);
  });
});

describe('scoring and the summary', () => {
  it('groups what was missed by the guide step to read again', () => {
    const predictions = [
      scorePrediction(step('find-nginx'), 'running', 'running'),
      scorePrediction(step('error-log'), 'read-timeout', 'refused'),
      scorePrediction(step('backend-listening'), 'accepts', 'down'),
      scorePrediction(step('tcp-backend-config'), 'unix', 'unknown'),
    ];
    const summary = summarize(predictions);
    expect(summary).toMatchObject({ right: 1, total: 4 });
    expect(summary.gotRight.map((p) => p.node)).toEqual(['find-nginx']);
    expect(summary.review.map((r) => [r.guide.title, r.missed.map((m) => m.node)])).toEqual([
      [GUIDE_STEPS['error-log'], ['error-log']],
      [GUIDE_STEPS['backend-running'], ['backend-listening']],
      [GUIDE_STEPS['upstream-config'], ['tcp-backend-config']],
    ]);
  });

  it('every check of the catalog names a step of the guides (its own guide: field); a docker backend points at containers', () => {
    for (const [id, check] of Object.entries(CHECKS)) expect(Object.keys(GUIDE_STEPS), id).toContain(check.guide);
    expect(guideStepFor('nginx.error-log').title).toBe(GUIDE_STEPS['error-log']);
    expect(guideStepFor('service.manager', 'docker').id).toBe('containers');
    expect(guideStepFor('socket.state', 'no-permission').title).toBe(GUIDE_STEPS['socket-permissions']);
  });
});
