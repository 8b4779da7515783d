import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/catalog.js';
import { parseFlow } from '../../../src/flow/loader.js';
import { formatProblem, lintFlow } from '../../../src/flow/lint.js';
import { defaultFlowFile } from '../../../src/flow-files/locate.js';
import { loadFlowFile } from '../../../src/flow/loader.js';
import { GOOD_FLOW, TINY_CATALOG } from './fixtures.js';

const lint = (source: string) => lintFlow(parseFlow(source, 'flows/t.yaml'), TINY_CATALOG).map(formatProblem);

describe('flow lint', () => {
  it('passes a complete flow', () => {
    expect(lint(GOOD_FLOW)).toEqual([]);
  });

  it('passes the real flows shipped in flows/', () => {
    expect(lintFlow(loadFlowFile(defaultFlowFile()), CATALOG).map(formatProblem)).toEqual([]);
  });

  it('finds an outcome with no branch', () => {
    expect(lint(GOOD_FLOW.replace('      no: give-up\n', ''))).toEqual([expect.stringMatching(/^flows\/t\.yaml:9: first: outcome no of probe\.a has no branch/)]);
  });

  it('finds a branch for an outcome the check never returns', () => {
    expect(lint(GOOD_FLOW.replace('      no: give-up\n', '      no: give-up\n      maybe: give-up\n'))).toEqual([expect.stringContaining('first: probe.a has no outcome maybe')]);
  });

  it('finds a branch to a node that does not exist', () => {
    expect(lint(GOOD_FLOW.replace('up: fix-it', 'up: fix-that'))).toEqual([expect.stringContaining('branch up goes to fix-that, which is not a node')]);
  });

  it('finds a node no path reaches', () => {
    const source = `${GOOD_FLOW}  orphan:\n    title: Orphan\n    end: escalate\n    why: Nobody comes here.\n`;
    expect(lint(source)).toEqual([expect.stringMatching(/:29: orphan: no path from the start reaches this node/)]);
  });

  it('finds a cycle', () => {
    expect(lint(GOOD_FLOW.replace('down: fix-it', 'down: first'))).toEqual([expect.stringContaining('cycle: first -> second -> first')]);
  });

  it('finds a template naming a fact some path does not learn', () => {
    // give-up is reached by "no", where probe.a learns upstream.target but not backend.port.
    const problems = lint(GOOD_FLOW.replace('Nothing fits {{upstream.target}}.', 'Nothing fits {{backend.port}}.'));
    expect(problems).toEqual([expect.stringContaining('give-up: template names fact backend.port, which some path here does not learn')]);
  });

  it('finds a planner whose facts some path lacks', () => {
    const problems = lint(GOOD_FLOW.replace('      yes: second\n      no: give-up', '      yes: second\n      no: second'));
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('planner point-at-port needs fact backend.port')]));
  });

  it('finds an unknown check and an unknown planner', () => {
    expect(lint(GOOD_FLOW.replace('check: probe.b', 'check: probe.zzz'))).toEqual([expect.stringContaining('unknown check probe.zzz')]);
    expect(lint(GOOD_FLOW.replace('plan: point-at-port', 'plan: nope'))).toEqual([expect.stringContaining('unknown fix planner nope')]);
  });

  // How fast it lints is the bench's business (BENCH_ONLY=lint); here only that it finishes, on a busy machine too.
  it('a flow of 20000 steps in one chain lints without overflowing the stack', { timeout: 120_000 }, () => {
    const steps = Array.from(
      { length: 20_000 },
      (_, i) => `  s${i}:\n    title: Step ${i}\n    why: Step ${i} comes next.\n    check: probe.a\n    on:\n      yes: ${i + 1 < 20_000 ? `s${i + 1}` : 'fix-it'}\n      no: give-up\n`,
    );
    const source = `id: long\ntitle: a long flow\nstart: s0\nnodes:\n${steps.join('')}  fix-it:\n    title: Fix it\n    cause: wrong-port\n    why: Port {{backend.port}}.\n    plan: point-at-port\n  give-up:\n    title: Give up\n    end: escalate\n    cause: unknown\n    why: Nothing fits.\n`;
    expect(lint(source)).toEqual([]);
    // A cycle at the far end of the chain is still found and named.
    expect(lint(source.replace('      yes: fix-it', '      yes: s0'))).toEqual([expect.stringContaining('cycle: s0 -> s1 -> s2')]);
  });
});
