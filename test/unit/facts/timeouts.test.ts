import { describe, expect, it } from 'vitest';
import { waitSeconds } from '../../../src/checks/backend-timing.js';
import { suggestTimeout } from '../../../src/facts/timeouts.js';

describe('timing the backend', () => {
  it('waits long enough to see a backend finish past the timeout, but never forever', () => {
    expect(waitSeconds(1000)).toBe(5);
    expect(waitSeconds(60_000)).toBe(120);
    expect(waitSeconds(3_600_000)).toBe(120);
  });

  it('suggests twice the measured time, and always more than today', () => {
    expect(suggestTimeout(3000, 1000, 5000)).toBe('6s');
    expect(suggestTimeout(1200, 1000, 5000)).toBe('3s');
    expect(suggestTimeout(null, 60_000, 120_000)).toBe('240s');
    expect(suggestTimeout(100, 60_000, 5000)).toBe('61s');
  });
});
