import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchScript, parseFrames, shellOpeningWith, type BatchCommand } from '../../../../src/hosts/ssh/batch-script.js';

/** The script as the long-lived remote shell gets it: on sh's standard input. */
function runInSh(script: string): Buffer {
  return execFileSync('sh', [], { input: script, maxBuffer: 64 * 1024 * 1024 });
}

describe('batch script: several commands in one go on a real sh', () => {
  it('gives each command its own stdout, stderr and exit code, values passed as they are', () => {
    const commands: BatchCommand[] = [
      { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] },
      { argv: ['printf', '%s|', "it's", 'a "quoted" $HOME', '`id`', '; echo pwned', '*', '', 'new\nline'] },
      { argv: ['cat'], stdin: "stdin with 'quotes', $(echo no) and\nlines without a final newline" },
      { argv: ['cat'] },
      { argv: ['head', '-c', '3'], stdin: 'abcdef' },
      { argv: ['bgw-no-such-program', '-x'] },
      { argv: ['sh', '-c', 'printf "caf\\303\\251 \\001\\n"'] },
    ];
    const parsed = parseFrames('t-1', runInSh(batchScript('t-1', commands)), commands.length);
    expect(parsed).toMatchObject({ done: true });
    expect(parsed.failed).toBeUndefined();
    const [sh, printf, cat, empty, head, missing, bytes] = parsed.results;
    expect(sh).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(printf).toEqual({ code: 0, stdout: 'it\'s|a "quoted" $HOME|`id`|; echo pwned|*||new\nline|', stderr: '' });
    expect(cat?.stdout).toBe("stdin with 'quotes', $(echo no) and\nlines without a final newline");
    expect(empty).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(head?.stdout).toBe('abc');
    expect(missing?.code).toBe(127);
    expect(missing?.stderr).toContain('bgw-no-such-program');
    expect(bytes?.stdout).toBe('café \u0001\n');
  });

  it('runs the commands at the same time', { timeout: 30_000 }, () => {
    const started = performance.now();
    const output = runInSh(
      batchScript(
        't-2',
        Array.from({ length: 8 }, () => ({ argv: ['sleep', '0.5'] })),
      ),
    );
    // One after another they would take 4 s.
    expect(performance.now() - started).toBeLessThan(2500);
    expect(parseFrames('t-2', output, 8)).toMatchObject({ done: true, results: Array.from({ length: 8 }, () => ({ code: 0 })) });
  });

  it('prints each frame as its command ends: a quick command is readable before a slow one ends', () => {
    const output = runInSh(batchScript('t-6', [{ argv: ['sh', '-c', 'sleep 0.5; echo slow'] }, { argv: ['echo', 'quick'] }]));
    const beforeSlow = output.subarray(0, output.indexOf('@@bgw t-6 0 '));
    expect(parseFrames('t-6', beforeSlow, 2)).toEqual({ done: false, results: [undefined, { code: 0, stdout: 'quick\n', stderr: '' }] });
    expect(parseFrames('t-6', output, 2)).toEqual({
      done: true,
      results: [
        { code: 0, stdout: 'slow\n', stderr: '' },
        { code: 0, stdout: 'quick\n', stderr: '' },
      ],
    });
  });

  it('kills a command at its limit on the box (timeout -s KILL)', () => {
    const output = runInSh(
      batchScript('t-3', [
        { argv: ['sleep', '30'], killAfterS: 1 },
        { argv: ['echo', 'quick'], killAfterS: 1 },
      ]),
    );
    const parsed = parseFrames('t-3', output, 2);
    expect(parsed).toMatchObject({ done: true, results: [{ code: 137 }, { code: 0, stdout: 'quick\n' }] });
  });

  it('leaves nothing behind in the shell: a second batch in the same shell sees none of the first', () => {
    const script = batchScript('t-4', [{ argv: ['sh', '-c', 'cd /tmp; x=1'] }]) + batchScript('t-5', [{ argv: ['pwd'] }]);
    const output = runInSh(`cd /\n${script}`);
    expect(parseFrames('t-5', output.subarray(output.indexOf('@@bgw t-5')), 1)).toMatchObject({ done: true, results: [{ stdout: '/\n' }] });
  });

  it('a shell started with a batch answers it first, then takes later batches on its input', () => {
    const [program, ...args] = shellOpeningWith('o-1', [{ argv: ['echo', 'first'] }, { argv: ['sh', '-c', 'exit 4'] }]);
    const output = execFileSync(program as string, args, { input: batchScript('o-2', [{ argv: ['echo', 'later'] }]) });
    expect(parseFrames('o-1', output, 2)).toEqual({
      done: true,
      results: [
        { code: 0, stdout: 'first\n', stderr: '' },
        { code: 4, stdout: '', stderr: '' },
      ],
    });
    expect(parseFrames('o-2', output.subarray(output.indexOf('@@bgw o-2')), 1)).toEqual({ done: true, results: [{ code: 0, stdout: 'later\n', stderr: '' }] });
  });
});

describe('reading the frames', () => {
  const real = runInSh(batchScript('r-1', [{ argv: ['echo', 'one'] }, { argv: ['sh', '-c', 'echo two >&2'] }]));

  it('skips what a chatty login script printed first', () => {
    const chatty = Buffer.concat([Buffer.from('Welcome to the box\n@@bgw other 0 0 0 0\n'), real]);
    expect(parseFrames('r-1', chatty, 2)).toEqual({
      done: true,
      results: [
        { code: 0, stdout: 'one\n', stderr: '' },
        { code: 0, stdout: '', stderr: 'two\n' },
      ],
    });
  });

  it('waits while the output is cut anywhere short of the end line', () => {
    for (let cut = 0; cut < real.length; cut++) expect(parseFrames('r-1', real.subarray(0, cut), 2).done, `cut at ${cut}`).toBe(false);
  });

  it('says so when the frames make no sense or a command is missing', () => {
    expect(parseFrames('r-1', Buffer.from('@@bgw r-1 0 0 999x 0\n'), 1)).toMatchObject({ done: true, failed: expect.stringContaining('unreadable') });
    expect(parseFrames('r-1', Buffer.from('@@bgw r-1 0 0 1 0\nxGARBAGE\n'), 1)).toMatchObject({ done: true, failed: expect.stringContaining('out of step') });
    const twice = Buffer.from('@@bgw r-1 0 0 1 0\nx@@bgw r-1 0 0 1 0\ny@@bgw r-1 end\n');
    expect(parseFrames('r-1', twice, 2)).toMatchObject({ done: true, failed: expect.stringContaining('unreadable') });
    expect(parseFrames('r-1', real, 3)).toMatchObject({ done: true, failed: 'the batch answered 2 of 3 commands' });
    expect(parseFrames('r-1', Buffer.from('@@bgw r-1 failed\n'), 1)).toMatchObject({ done: true, failed: expect.stringContaining('mktemp') });
  });

  it('refuses a batch id that would need quoting', () => {
    expect(() => batchScript("x'; rm -rf /", [])).toThrow('bad batch id');
  });
});
