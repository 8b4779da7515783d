import type { Check, CheckResult, Evidence } from '../checks/check.js';
import type { KnownFacts } from '../facts.js';
import type { CommandResult, Host } from '../hosts/host.js';
import { stripControl } from '../shell/sanitize.js';

/** A check may ask for more commands after seeing results, but never forever. */
const MAX_ROUNDS = 6;

export interface CheckRun {
  result: CheckResult;
  commands: CommandResult[];
  ms: number;
}

function clean(evidence: Evidence[]): Evidence[] {
  return evidence.map((e) => ({
    ...e,
    ...(e.command !== undefined ? { command: stripControl(e.command) } : {}),
    lines: e.lines.map(stripControl),
    ...(e.note !== undefined ? { note: stripControl(e.note) } : {}),
  }));
}

/** Runs one check on one host: its command batches in order, each batch in parallel, then its parser. */
export async function runCheck(check: Check, facts: KnownFacts, host: Host, signal?: AbortSignal): Promise<CheckRun> {
  const started = performance.now();
  const done: CommandResult[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const batch = check.plan(facts, done);
    if (!batch.length) break;
    done.push(...(await Promise.all(batch.map((command) => host.run(command, signal)))));
    signal?.throwIfAborted();
  }
  const result = check.interpret(facts, done);
  const ask = result.ask && {
    question: stripControl(result.ask.question),
    alternatives: result.ask.alternatives.map((a) => ({ ...a, label: stripControl(a.label), summary: stripControl(a.summary) })),
  };
  return {
    result: { ...result, evidence: clean(result.evidence), summary: stripControl(result.summary), ...(ask ? { ask } : {}) },
    commands: done,
    ms: Math.round(performance.now() - started),
  };
}
