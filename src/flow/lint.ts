import type { FactKey } from '../facts/keys.js';
import { nearestLine } from './loader.js';
import type { Flow, FlowNode } from './schema.js';
import { templateKeys } from './template.js';

/** What lint needs to know of a check: its outcomes and the facts it needs and learns. */
export interface CheckShape {
  outcomes: readonly string[];
  needs: readonly FactKey[];
  learns: readonly FactKey[];
  learnsOn?: Readonly<Record<string, readonly FactKey[]>>;
}

export interface PlannerShape {
  needs: readonly FactKey[];
}

export interface Catalog {
  checks: Readonly<Record<string, CheckShape>>;
  planners: Readonly<Record<string, PlannerShape>>;
}

export interface LintProblem {
  file: string;
  line: number | null;
  node: string | null;
  problem: string;
}

export function formatProblem(p: LintProblem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.node ? `${p.node}: ` : ''}${p.problem}`;
}

function successors(node: FlowNode): [string, string][] {
  return node.kind === 'step' ? Object.entries(node.on) : [];
}

/**
 * Proves a flow is complete: every outcome branches, every node is reachable, there are no cycles,
 * every path ends on a fix or an explicit end, and every fact a check needs or a template names is
 * learned on every path that reaches it.
 */
export function lintFlow(flow: Flow, catalog: Catalog): LintProblem[] {
  const problems: LintProblem[] = [];
  const report = (node: string | null, path: string[], problem: string) => problems.push({ file: flow.file, line: nearestLine(flow.lines, path), node, problem });

  if (!flow.nodes[flow.start]) report(null, ['start'], `start names ${flow.start}, which is not a node`);

  for (const node of Object.values(flow.nodes)) {
    const at = ['nodes', node.id];
    if (node.kind === 'step') {
      const check = catalog.checks[node.check];
      if (!check) {
        report(node.id, [...at, 'check'], `unknown check ${node.check}`);
        continue;
      }
      for (const outcome of check.outcomes) {
        if (!(outcome in node.on)) report(node.id, [...at, 'on'], `outcome ${outcome} of ${node.check} has no branch`);
      }
      for (const [outcome, target] of Object.entries(node.on)) {
        if (!check.outcomes.includes(outcome)) {
          report(node.id, [...at, 'on', outcome], `${node.check} has no outcome ${outcome}`);
        }
        if (!flow.nodes[target]) report(node.id, [...at, 'on', outcome], `branch ${outcome} goes to ${target}, which is not a node`);
      }
      for (const outcome of Object.keys(node.means ?? {})) {
        if (!check.outcomes.includes(outcome)) report(node.id, [...at, 'means', outcome], `${node.check} has no outcome ${outcome}`);
      }
    }
    if (node.kind === 'fix') {
      if (node.plan && !catalog.planners[node.plan]) report(node.id, [...at, 'plan'], `unknown fix planner ${node.plan}`);
      if (!node.plan && !node.commands?.length) report(node.id, at, 'a fix needs a plan or commands');
    }
  }
  if (problems.length) return problems;

  const order = topologicalOrder(flow);
  if (!order.ok) {
    report(order.node, ['nodes', order.node], `cycle: ${order.cycle.join(' -> ')}`);
    return problems;
  }

  const reached = new Set<string>([flow.start]);
  for (const id of order.order) {
    if (!reached.has(id)) continue;
    for (const [, target] of successors(flow.nodes[id] as FlowNode)) reached.add(target);
  }
  for (const id of Object.keys(flow.nodes)) {
    if (!reached.has(id)) report(id, ['nodes', id], 'no path from the start reaches this node');
  }

  const known = factsKnownOnEveryPath(flow, catalog, order.order, reached);
  for (const id of order.order) {
    if (!reached.has(id)) continue;
    const node = flow.nodes[id] as FlowNode;
    const have = known.get(id) ?? new Set<string>();
    const at = ['nodes', id];
    const missing = (key: string) => !have.has(key);
    if (node.kind === 'step') {
      for (const key of catalog.checks[node.check]?.needs ?? []) {
        if (missing(key)) report(id, [...at, 'check'], `${node.check} needs fact ${key}, which some path here does not learn`);
      }
    }
    if (node.kind === 'fix') {
      for (const key of node.plan ? (catalog.planners[node.plan]?.needs ?? []) : []) {
        if (missing(key)) report(id, [...at, 'plan'], `planner ${node.plan} needs fact ${key}, which some path here does not learn`);
      }
      node.commands?.forEach((command, index) => {
        for (const key of command.run.flatMap(templateKeys)) {
          if (missing(key)) report(id, [...at, 'commands', String(index)], `template names fact ${key}, which some path here does not learn`);
        }
      });
    }
    for (const field of ['title', 'why', 'caution'] as const) {
      const value = (node as unknown as Record<string, unknown>)[field];
      if (typeof value !== 'string') continue;
      for (const key of templateKeys(value)) {
        if (missing(key)) report(id, [...at, field], `template names fact ${key}, which some path here does not learn`);
      }
    }
  }
  return problems;
}

type Order = { ok: true; order: string[] } | { ok: false; node: string; cycle: string[] };

/** Depth-first, with a stack of its own rather than recursion: a flow of any length cannot overflow the call stack. */
function topologicalOrder(flow: Flow): Order {
  const state = new Map<string, 'open' | 'done'>();
  const order: string[] = [];
  for (const root of Object.keys(flow.nodes)) {
    if (state.has(root)) continue;
    // Each frame: a node on the current path and the branches of it still to visit.
    const path: { id: string; next: string[] }[] = [{ id: root, next: successorIds(flow, root) }];
    state.set(root, 'open');
    while (path.length) {
      const top = path[path.length - 1] as { id: string; next: string[] };
      const target = top.next.pop();
      if (target === undefined) {
        path.pop();
        state.set(top.id, 'done');
        order.push(top.id);
        continue;
      }
      const seen = state.get(target);
      if (seen === 'done') continue;
      if (seen === 'open') {
        const from = path.findIndex((frame) => frame.id === target);
        const cycle = [...path.slice(from).map((frame) => frame.id), target];
        return { ok: false, node: target, cycle };
      }
      state.set(target, 'open');
      path.push({ id: target, next: successorIds(flow, target) });
    }
  }
  return { ok: true, order: order.reverse() };
}

/** A node's branch targets, last first (popped in the order they are written). */
function successorIds(flow: Flow, id: string): string[] {
  const node = flow.nodes[id];
  return node
    ? successors(node)
        .map(([, target]) => target)
        .reverse()
    : [];
}

function factsKnownOnEveryPath(flow: Flow, catalog: Catalog, order: string[], reached: Set<string>): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>();
  known.set(flow.start, new Set());
  for (const id of order) {
    if (!reached.has(id)) continue;
    const node = flow.nodes[id] as FlowNode;
    const here = known.get(id) ?? new Set<string>();
    if (node.kind !== 'step') continue;
    const check = catalog.checks[node.check];
    for (const [outcome, target] of Object.entries(node.on)) {
      const after = new Set([...here, ...(check?.learns ?? []), ...(check?.learnsOn?.[outcome] ?? [])]);
      const before = known.get(target);
      known.set(target, before ? new Set([...before].filter((key) => after.has(key))) : after);
    }
  }
  return known;
}
