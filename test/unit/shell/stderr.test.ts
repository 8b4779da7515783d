import { describe, expect, it } from 'vitest';
import { say, stderrLine } from '../../../src/shell/stderr.js';
import { firstRawControl, HOSTILE } from '../../hostile.js';

describe('stderr lines', () => {
  it('are stripped of every control, badgateway’s own named as such', () => {
    const written: string[] = [];
    say(`cannot read ${HOSTILE}`, (t) => written.push(t));
    stderrLine(`flows/x.yaml:3: ${HOSTILE}`, (t) => written.push(t));
    expect(written[0]).toMatch(/^badgateway: cannot read evil.*name\n$/);
    expect(written[1]).toMatch(/^flows\/x\.yaml:3: evil.*name\n$/);
    for (const line of written) expect(firstRawControl(line.replace(/\n$/, ''))).toBeNull();
  });
});
