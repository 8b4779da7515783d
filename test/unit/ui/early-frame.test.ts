import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../../../src/flow/schema.js';
import { earlyFrame, erasingEarlyFrame, wrapWords } from '../../../src/ui/early-frame.js';

const NODE: FlowNode = {
  kind: 'step',
  id: 'find-nginx',
  title: 'Find the nginx that answers',
  why: 'Before reading any file we ask the running nginx where its files are. A box can have several nginx installs or a custom -c/-p, so the paths come from the process itself.',
  check: 'nginx.find',
  on: {},
};

const frame = (over: Partial<Parameters<typeof earlyFrame>[0]> = {}) =>
  earlyFrame({ flowTitle: 'nginx answers 502 Bad Gateway', hostLabel: 'local', node: NODE, status: 'checking…', columns: 80, color: false, ...over });

describe('the early first frame', () => {
  it('shows what the step screen shows first: header, a blank line, the title, why now, the status', () => {
    expect(frame({ url: 'http://shop.test/' })).toEqual([
      'badgateway · nginx answers 502 Bad Gateway · local · http://shop.test/',
      '',
      'Find the nginx that answers',
      'Why now: Before reading any file we ask the running nginx where its files are.',
      'A box can have several nginx installs or a custom -c/-p, so the paths come from',
      'the process itself.',
      '⠋ checking…',
    ]);
  });

  it('no line reaches the last column, so the terminal wraps none and the rows can be counted', () => {
    for (const columns of [20, 33, 80, 200]) {
      const lines = frame({ columns, hostLabel: 'root@a-very-long-host-name.example.internal:2222', status: 'connecting to root@a-very-long-host-name.example.internal:2222…' });
      for (const line of lines) expect([...line].length, `${columns}: ${line}`).toBeLessThan(Math.max(21, columns));
    }
  });

  it('colours only when asked, and the colours do not count as width', () => {
    const plain = frame();
    const coloured = frame({ color: true });
    expect(plain.join('')).not.toContain('\x1b');
    expect(coloured[0]).toContain('\x1b[1mbadgateway\x1b[22m');
    expect(coloured.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''))).toEqual(plain);
  });

  it('a host name with terminal controls in it is shown as text', () => {
    const lines = frame({ hostLabel: 'root@web1\x1b]0;pwned\x07\x1b[2J', status: 'connecting to root@web1\x1b[2J…' });
    expect(lines.join('\n')).not.toContain('\x1b');
    expect(lines[0]).toContain('· root@web1');
  });

  it('wraps words, cuts a word longer than a line, and keeps no empty lines', () => {
    expect(wrapWords('  one two   three ', 7)).toEqual(['one two', 'three']);
    expect(wrapWords('abcdefghij xy', 4)).toEqual(['abcd', 'efgh', 'ij', 'xy']);
    expect(wrapWords('', 10)).toEqual([]);
  });

  it('erasing backs up over exactly the rows drawn and clears below', () => {
    expect(erasingEarlyFrame(7)).toBe('\x1b[7A\r\x1b[J');
    expect(erasingEarlyFrame(0)).toBe('');
  });
});
