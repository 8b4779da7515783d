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

  it('reports a missing file without a stack trace', () => {
    expect(() => loadFlowFile('/nonexistent/flow.yaml')).toThrow(/\/nonexistent\/flow\.yaml: cannot read the flow/);
  });
});
