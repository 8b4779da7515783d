import { describe, expect, it } from 'vitest';
import { parseNginxTime } from '../../../src/nginx/time.js';

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
