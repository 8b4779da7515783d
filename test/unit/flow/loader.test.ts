import { describe, expect, it } from 'vitest';
import { FlowError, loadFlowFile, parseFlow } from '../../../src/flow/loader.js';
import { GOOD_FLOW } from './fixtures.js';

function failure(source: string): FlowError {
  try {
    parseFlow(source, 'flows/broken.yaml');
  } catch (error) {
    if (error instanceof FlowError) return error;
    throw error;
  }
  throw new Error('the flow loaded, but it should not have');
}

describe('flow loader', () => {
  it('loads a good flow with every node typed', () => {
    const flow = parseFlow(GOOD_FLOW, 'flows/tiny.yaml');
    expect(flow.start).toBe('first');
    expect(Object.values(flow.nodes).map((n) => n.kind)).toEqual(['step', 'step', 'fix', 'end']);
  });

  it('names file and line for a YAML syntax error', () => {
    const error = failure(GOOD_FLOW.replace('      no: give-up', '      no: [give-up'));
    expect(error.file).toBe('flows/broken.yaml');
    expect(error.line).toBeGreaterThanOrEqual(11);
    expect(error.message).toMatch(/^flows\/broken\.yaml:\d+: /);
  });

  it('names the line of an unknown cause id', () => {
    const error = failure(GOOD_FLOW.replace('cause: wrong-port', 'cause: wrong-prot'));
    expect(error.line).toBe(21);
    expect(error.problem).toContain('nodes.fix-it.cause');
  });

  it('names the line of an unexpected key', () => {
    const error = failure(GOOD_FLOW.replace('    check: probe.b\n', '    check: probe.b\n    chek: typo\n'));
    expect(error.line).toBe(16);
    expect(error.problem).toMatch(/chek/);
  });

  it('says what a node without check, cause or end is missing', () => {
    const error = failure(GOOD_FLOW.replace('    end: escalate\n    cause: unknown\n', ''));
    expect(error.problem).toMatch(/give-up needs check: .*cause: .*end:/);
    expect(error.line).toBe(24);
  });

  it('rejects duplicate keys with their line', () => {
    const error = failure(GOOD_FLOW.replace('      yes: second\n', '      yes: second\n      yes: give-up\n'));
    expect(error.line).toBe(11);
  });

  it('refuses a YAML alias bomb quickly, at the line where the aliases pass the limit', { timeout: 30_000 }, () => {
    // Each level repeats the one before ten times: 10^12 strings once expanded.
    const levels = ['lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 12; i++) levels.push(`lol${i}: &lol${i} [${Array.from({ length: 10 }, () => `*lol${i - 1}`).join(', ')}]`);
    const started = performance.now();
    const error = failure(`${GOOD_FLOW}${levels.join('\n')}\n`);
    // Expanded, it would never end; refused, it takes milliseconds (a busy machine's margin).
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error.line).toBe(GOOD_FLOW.split('\n').length + 4);
    expect(error.message).toMatch(/^flows\/broken\.yaml:\d+: YAML aliases here would expand to more than 100000 nodes/);
  });

  it('refuses an anchor that holds its own alias', () => {
    expect(failure(`${GOOD_FLOW}loop: &loop [a, *loop]\n`).problem).toMatch(/YAML aliases here would expand/);
  });

  it('keeps aliases within the limit, as the shipped flow uses them', () => {
    const flow = parseFlow(
      GOOD_FLOW.replace('    why: Because the first said yes.', '    why: &why Because the first said yes.').replace('    why: The backend listens on {{backend.port}}.', '    why: *why'),
      'flows/tiny.yaml',
    );
    expect(flow.nodes['fix-it']).toMatchObject({ why: 'Because the first said yes.' });
  });

  it('a duplicate key in a mapping of 100000 keys is found, at its line, in time linear in the file', { timeout: 60_000 }, () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `      k${i}: v`);
    const source = GOOD_FLOW.replace('    why: Because it comes first.\n', `    why: Because it comes first.\n    extra:\n${keys.join('\n')}\n      k7: again\n`);
    const started = performance.now();
    const error = failure(source);
    // The yaml package's own uniqueKeys check compares each key with all before it: nearly a minute here for 40000 keys, four times that for these.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(error.problem).toBe('the key k7 is given twice in one mapping');
    expect(error.line).toBe(8 + 100_000 + 1);
  });

  it('a flow file past 4 MiB, or /dev/zero, is refused by its size', () => {
    expect(() => loadFlowFile('/dev/zero')).toThrow('/dev/zero: cannot read the flow: it is larger than 4 MiB, the most badgateway reads as the flow');
  });

  it('reports a missing file without a stack trace', () => {
    expect(() => loadFlowFile('/nonexistent/flow.yaml')).toThrow(/\/nonexistent\/flow\.yaml: cannot read the flow/);
  });
});
