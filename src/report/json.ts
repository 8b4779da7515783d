import type { Evidence } from '../facts/evidence.js';
import { currentNode, factsOf, type Session } from '../engine/session.js';
import { render } from '../flow/template.js';
import type { FlowNode } from '../flow/schema.js';
import type { FixPlan } from '../fixes/plan.js';
import { commandLine } from '../shell/quote.js';

import { EXIT } from './exit-codes.js';
import type { HistoryReport } from '../history/types.js';

export { EXIT };

export interface ReportHost {
  label: string;
  role: string;
  [detail: string]: unknown;
}

export interface JsonReport {
  flow: string;
  request: { url: string; method: string } | null;
  /** cause is null when there is nothing to diagnose (healthy) or the session could not finish (error). */
  diagnosis: {
    cause: string | null;
    title: string;
    explanation: string;
    evidence: (Evidence & { node: string; host: string })[];
    /** true when the cause is the newest episode of history and the request works now (DESIGN.md, "History"). */
    transient?: boolean;
  };
  /** What already happened, when the diagnosis read it (DESIGN.md, "History"). */
  history?: HistoryReport;
  fix: {
    title: string;
    commands: string[];
    details: { command: string; argv: string[]; why: string; durable: boolean }[];
    edits: FixPlan['edits'];
    notes: string[];
    caution: string | null;
    applied: boolean;
    verified: boolean;
    rolledBack: boolean;
  };
  /** next: the node the outcome led to; means: the flow's words for that outcome; answered: the person chose it. */
  steps: { node: string; title: string; host: string; outcome: string; summary: string; ms: number; next: string; means: string | null; answered?: boolean }[];
  hosts: ReportHost[];
  healthy: boolean;
  error: string | null;
  /** What the person should know about how it ran: a host without root, a host key saved. */
  notes: string[];
  /** The same evidence, grouped by the host it came from. */
  evidenceByHost: Record<string, (Evidence & { node: string })[]>;
  exitCode: number;
}

function groupByHost(evidence: (Evidence & { node: string; host: string })[]): Record<string, (Evidence & { node: string })[]> {
  const groups: Record<string, (Evidence & { node: string })[]> = {};
  for (const { host, ...item } of evidence) (groups[host] ??= []).push(item);
  return groups;
}

function text(template: string, session: Session): string {
  try {
    return render(template, factsOf(session));
  } catch {
    return template;
  }
}

/** A session that could not finish (a host unreachable, a command that could not run or made no sense) exits 3. */
export function exitCodeFor(node: FlowNode | null, error: string | null): number {
  if (error) return EXIT.unreachable;
  if (node?.kind === 'end' && node.end === 'healthy') return EXIT.healthyOrFixed;
  return EXIT.diagnosed;
}

export function buildReport(session: Session, fix: FixPlan | null, hosts: ReportHost[], error: string | null = null, notes: string[] = []): JsonReport {
  const facts = factsOf(session);
  const node = error ? null : currentNode(session);
  const steps = session.trail.map((step) => ({
    node: step.node,
    title: session.flow.nodes[step.node]?.title ?? step.node,
    host: step.host,
    outcome: step.outcome,
    summary: step.summary,
    ms: step.ms,
    next: step.next,
    means: (() => {
      const taken = session.flow.nodes[step.node];
      return taken?.kind === 'step' ? (taken.means?.[step.outcome] ?? null) : null;
    })(),
    ...(step.answered ? { answered: true } : {}),
  }));
  const evidence = session.trail.flatMap((step) => step.evidence.map((e) => ({ ...e, node: step.node, host: e.host ?? step.host })));
  const ended = node && node.kind !== 'step' ? node : null;
  const healthy = ended?.kind === 'end' && ended.end === 'healthy';
  const diagnosis = {
    cause: ended && !healthy ? (ended.cause ?? 'unknown') : null,
    title: ended ? text(ended.title, session) : error ? 'the diagnosis could not finish' : 'the diagnosis did not finish',
    explanation: ended ? text(ended.why, session) : (error ?? ''),
    evidence,
    // Over now, unless the newest episode's server is still down (nothing listens there yet).
    ...(facts['history.report']?.episodes.length && facts['history.report'].episodes.at(-1)?.story !== 'still-down' && ended && !healthy ? { transient: true } : {}),
  };
  const plan = ended?.kind === 'fix' ? fix : null;
  return {
    flow: session.flow.id,
    request: facts['request.url'] ? { url: facts['request.url'], method: facts['request.method'] ?? 'GET' } : null,
    diagnosis,
    ...(facts['history.report'] ? { history: facts['history.report'] } : {}),
    fix: {
      title: ended?.kind === 'fix' ? text(ended.title, session) : '',
      commands: (plan?.commands ?? []).map((c) => commandLine(c.argv, 'person')),
      details: (plan?.commands ?? []).map((c) => ({ command: commandLine(c.argv, 'person'), argv: c.argv, why: c.why, durable: c.durable })),
      edits: plan?.edits ?? [],
      notes: plan?.notes ?? [],
      caution: ended?.kind === 'fix' && ended.caution ? text(ended.caution, session) : null,
      applied: false,
      verified: false,
      rolledBack: false,
    },
    steps,
    hosts,
    healthy,
    error,
    notes,
    evidenceByHost: groupByHost(evidence),
    exitCode: exitCodeFor(node, error),
  };
}
