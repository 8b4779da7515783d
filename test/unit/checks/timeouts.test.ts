import { describe, expect, it } from 'vitest';
import { suggestTimeout, waitSeconds } from '../../../src/checks/backend-timing.js';
import { parseNginxTime } from '../../../src/checks/nginx-route.js';

describe('nginx time values', () => {
  it('reads the forms nginx accepts', () => {
    expect(parseNginxTime('60')).toBe(60_000);
    expect(parseNginxTime('60s')).toBe(60_000);
    expect(parseNginxTime('500ms')).toBe(500);
    expect(parseNginxTime('1m30s')).toBe(90_000);
    expect(parseNginxTime('2h')).toBe(7_200_000);
  });

  it('not this: rejects what nginx would reject', () => {
    expect(parseNginxTime('')).toBeNull();
    expect(parseNginxTime('fast')).toBeNull();
    expect(parseNginxTime('10 s')).toBeNull();
  });
});

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
