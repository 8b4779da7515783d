import { readFileSync } from 'node:fs';
import type { CommandResult } from '../../../src/hosts/host.js';

const ROOT = new URL('../../fixtures/', import.meta.url);

/** A fixture file under test/fixtures/ (captured on a real box: see each folder's README). */
export function fixture(path: string): string {
  return readFileSync(new URL(path, ROOT), 'utf8');
}

export function ran(argv: string[], stdout: string, options: { stderr?: string; code?: number | null } = {}): CommandResult {
  return { argv, stdout, stderr: options.stderr ?? '', code: options.code === undefined ? 0 : options.code, ms: 1 };
}

/** A command that failed without output (a file that is not there, a pid that is gone). */
export function failed(argv: string[], code = 1): CommandResult {
  return ran(argv, '', { code });
}

/**
 * Runs a check's plan against canned answers until it asks for nothing more (bounded, like the runner).
 * Commands with no answer fail as a missing file would.
 */
export function runPlan(plan: (done: CommandResult[]) => { argv: string[] }[], answer: (argv: string[]) => CommandResult | undefined): CommandResult[] {
  const done: CommandResult[] = [];
  for (let round = 0; round < 6; round++) {
    const batch = plan(done);
    if (!batch.length) return done;
    done.push(...batch.map((c) => answer(c.argv) ?? failed(c.argv)));
  }
  throw new Error('the plan did not settle within 6 rounds');
}
