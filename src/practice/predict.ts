/**
 * Practice: before a step's result shows, the learner predicts what the check will find, picking the
 * real outcome among plausible others from the step's own branches. Pure: options, scoring, summary.
 */
import type { Flow, StepNode } from '../flow/schema.js';
import type { GuideStep } from '../flow/guide-steps.js';
import { guideStepFor } from './guide.js';

export interface PredictionOption {
  outcome: string;
  label: string;
}

export interface Prediction {
  node: string;
  title: string;
  predicted: string;
  actual: string;
  right: boolean;
  guide: { id: GuideStep; title: string };
}

/** A small stable hash, so the same incident shows its options in the same order every time. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function firstSentence(text: string): string {
  const trimmed = text.trim();
  const end = trimmed.search(/\.(\s|$)/);
  return end > 0 && end < 140 ? trimmed.slice(0, end + 1) : trimmed.length > 140 ? `${trimmed.slice(0, 137)}…` : trimmed;
}

/** An outcome id in words: "other-port" -> "other port". */
export function outcomeWords(outcome: string): string {
  return outcome.replace(/-/g, ' ');
}

/** Menu lines stay on one line of an 80-column terminal. */
const LABEL_WIDTH = 76;

/** What an outcome would mean, in the flow's words, or where it would lead; one short line. */
export function outcomeLabel(flow: Flow, node: StepNode, outcome: string): string {
  const means = node.means?.[outcome];
  const words = outcomeWords(outcome);
  const next = flow.nodes[node.on[outcome] ?? ''];
  const label = means ? `${words}: ${firstSentence(means)}` : next ? `${words} (then: ${next.title})` : words;
  return label.length > LABEL_WIDTH ? `${label.slice(0, LABEL_WIDTH - 1)}…` : label;
}

/**
 * The choices for one step: the real outcome and up to max-1 others, preferring those that lead
 * elsewhere in the flow (a choice that changes the path teaches more), in a stable shuffled order.
 */
export function predictionOptions(flow: Flow, node: StepNode, actual: string, seed: string, max = 4): PredictionOption[] {
  const actualNext = node.on[actual];
  const others = Object.keys(node.on)
    .filter((o) => o !== actual)
    .sort((a, b) => {
      const elsewhere = Number(node.on[b] !== actualNext) - Number(node.on[a] !== actualNext);
      if (elsewhere) return elsewhere;
      const explained = Number(Boolean(node.means?.[b])) - Number(Boolean(node.means?.[a]));
      return explained || hash(`${seed}:${a}`) - hash(`${seed}:${b}`);
    })
    .slice(0, Math.max(1, max - 1));
  return [actual, ...others].sort((a, b) => hash(`${seed}:${node.id}:${a}`) - hash(`${seed}:${node.id}:${b}`)).map((outcome) => ({ outcome, label: outcomeLabel(flow, node, outcome) }));
}

export function scorePrediction(node: StepNode, predicted: string, actual: string): Prediction {
  return { node: node.id, title: node.title, predicted, actual, right: predicted === actual, guide: guideStepFor(node.check, actual) };
}

export interface PracticeSummary {
  right: number;
  total: number;
  /** Steps predicted right. */
  gotRight: Prediction[];
  /** What to read again: each guide step with the predictions missed there. */
  review: { guide: { id: GuideStep; title: string }; missed: Prediction[] }[];
}

export function summarize(predictions: readonly Prediction[]): PracticeSummary {
  const missed = predictions.filter((p) => !p.right);
  const review: PracticeSummary['review'] = [];
  for (const p of missed) {
    const group = review.find((r) => r.guide.id === p.guide.id);
    if (group) group.missed.push(p);
    else review.push({ guide: p.guide, missed: [p] });
  }
  return { right: predictions.length - missed.length, total: predictions.length, gotRight: predictions.filter((p) => p.right), review };
}
