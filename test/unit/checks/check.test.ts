import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../src/checks/index.js';
import { defineCheck } from '../../../src/checks/check.js';

// The type checks below run in `tsc -p .` (npm test): an @ts-expect-error that no longer errors fails the build.
const base = { id: 't.example', guide: 'error-log', needs: [], learns: [], plan: () => [] } as const;

describe('defineCheck: the outcomes a check lists are the only ones it can return', () => {
  it('accepts a check whose interpret() returns listed outcomes', () => {
    const check = defineCheck({ ...base, outcomes: ['up', 'down'], interpret: () => ({ outcome: 'down', facts: {}, evidence: [], summary: '' }) });
    expect(check.outcomes).toEqual(['up', 'down']);
  });

  // Its assertions are the two @ts-expect-error lines: tsc -p . fails when either no longer errors.
  it('refuses, at compile time, an outcome the list lacks and a learnsOn for one', () => {
    // @ts-expect-error 'sideways' is not among the outcomes
    defineCheck({ ...base, outcomes: ['up', 'down'], interpret: () => ({ outcome: 'sideways', facts: {}, evidence: [], summary: '' }) });
    defineCheck({
      ...base,
      outcomes: ['up'],
      // @ts-expect-error learnsOn names an outcome the check does not have
      learnsOn: { down: [] },
      interpret: () => ({ outcome: 'up', facts: {}, evidence: [], summary: '' }),
    });
  });

  it('every shipped check lists each outcome once', () => {
    for (const check of Object.values(CHECKS)) expect(new Set(check.outcomes).size, check.id).toBe(check.outcomes.length);
  });
});
