import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_TAIL_BYTES } from '../../../src/system/tail.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { replayAndReadCommand } from '../../../src/nginx/replay-and-read.js';

/**
 * The error-log step's one command, run for real by sh on a temp log that holds `before`; the replay
 * is a stand-in that appends `during` to the log (as nginx would) and answers as the captured probe did.
 */
export function runLogScript(before: string, during: string, probe: Pick<CommandResult, 'stdout' | 'stderr' | 'code'>): { log: string; run: CommandResult } {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-log-'));
  const log = join(dir, 'error.log');
  try {
    writeFileSync(log, before);
    const replay = ['sh', '-c', 'printf %s "$1" >>"$2"; printf %s "$3"; printf %s "$4" >&2; exit "$5"', 'replay', during, log, probe.stdout, probe.stderr, String(probe.code ?? 1)];
    const command = replayAndReadCommand(log, LOG_TAIL_BYTES, { argv: replay });
    const stdout = execFileSync(command.argv[0] as string, command.argv.slice(1), { encoding: 'utf8' });
    return { log, run: { argv: command.argv, stdout, stderr: '', code: 0, ms: 1 } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
