import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandResult, CommandSpec } from '../../../src/hosts/host.js';
import { logParts, replayAndReadCommand } from '../../../src/nginx/replay-and-read.js';

const dir = mkdtempSync(join(tmpdir(), 'bgw-replay-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command with the real sh, as a host would. */
function run(spec: CommandSpec): CommandResult {
  const stdout = execFileSync(spec.argv[0] as string, spec.argv.slice(1), { encoding: 'utf8' });
  return { argv: spec.argv, stdout, stderr: '', code: 0, ms: 1 };
}

/** A stand-in for the replay: appends to the log as nginx would, then prints what curl would. */
const appending = (log: string, text: string): CommandSpec => ({ argv: ['sh', '-c', 'printf %s "$1" >>"$2"; echo answered; exit 7', 'replay', text, log], timeoutMs: 1000 });

describe('the error-log step in one command', () => {
  it('the tail before, the replay, and exactly the bytes appended during it', () => {
    const log = join(dir, 'a.log');
    writeFileSync(log, 'old line one\nold line two\n');
    const replay = appending(log, "new line with 'quotes' and $(not run)\n");
    const parts = logParts(run(replayAndReadCommand(log, 13, replay)), log, 13, replay);
    expect(parts?.size).toMatchObject({ argv: ['stat', '-c', '%s', '--', log], stdout: '26\n', code: 0 });
    expect(parts?.tail).toMatchObject({ argv: ['tail', '-c', '13', '--', log], stdout: 'old line two\n' });
    expect(parts?.replay).toMatchObject({ argv: replay.argv, stdout: 'answered\n', code: 7 });
    expect(parts?.appended).toMatchObject({ argv: ['tail', '-c', '+27', '--', log], stdout: "new line with 'quotes' and $(not run)\n", code: 0 });
  });

  it('no replay (a POST is not sent twice): the size and the tail only', () => {
    const log = join(dir, 'b.log');
    writeFileSync(log, 'x\n');
    const parts = logParts(run(replayAndReadCommand(log, 100)), log, 100);
    expect(parts).toMatchObject({ size: { stdout: '2\n' }, tail: { stdout: 'x\n' } });
    expect(parts?.replay).toBeUndefined();
  });

  it('a log that cannot be read: the replay still happens, and the parts say why the log did not answer', () => {
    const log = join(dir, 'missing', 'error.log');
    const replay: CommandSpec = { argv: ['echo', 'answered'] };
    const parts = logParts(run(replayAndReadCommand(log, 100, replay)), log, 100, replay);
    expect(parts?.size.code).not.toBe(0);
    expect(parts?.size.stderr).toContain('No such file');
    expect(parts?.replay?.stdout).toBe('answered\n');
    expect(parts?.appended).toBeUndefined();
  });

  it("output that is not the script's (no sh on the box): no parts", () => {
    expect(logParts({ argv: ['sh'], stdout: '', stderr: 'sh: not found', code: 127, ms: 1 }, '/x', 1)).toBeNull();
  });
});
