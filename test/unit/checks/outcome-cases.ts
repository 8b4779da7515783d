import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Check, CheckResult } from '../../../src/checks/check.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';

/**
 * The captures of test/fixtures/checks/<check id>/ (see its README.md): `<outcome>.json` is one real run of
 * the check that yields that outcome, and `not-this.json` names, for each outcome, a nearby input that must
 * yield another one: a capture beside it, or a capture changed in a few named places.
 */
export const CASES_DIR = new URL('../../fixtures/checks/', import.meta.url);

export interface Capture {
  check: string;
  yields: string;
  /** How and where the outputs were captured. */
  captured: string;
  /** Set when some output could not be captured on this box and was written by hand: why, and from what. */
  written?: string;
  facts: KnownFacts;
  /** What the runner handed interpret(), in order. */
  results: CommandResult[];
  /** True when the check's plan(), round by round, asks for exactly these commands. */
  planned: boolean;
}

/** One place a "not this" input differs from the capture it is made of. */
export type Change =
  | { result: number; stream: 'stdout' | 'stderr'; replace: string; with: string }
  | { result: number; code: number | null }
  | { fact: string; value: unknown }
  | { fact: string; delete: true };

export interface NotThis {
  /** The capture it starts from (a file of the same folder). */
  input: string;
  change?: Change[];
  /** The outcome it yields instead. */
  yields: string;
  why: string;
}

export const folderOf = (checkId: string) => new URL(`${checkId}/`, CASES_DIR);

export function hasFolder(checkId: string): boolean {
  return existsSync(folderOf(checkId));
}

/** The folders under test/fixtures/checks/, one per check id. */
export function checkFolders(): string[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

export function filesOf(checkId: string): string[] {
  return readdirSync(folderOf(checkId)).sort();
}

export function readCapture(checkId: string, file: string): Capture {
  return JSON.parse(readFileSync(new URL(file, folderOf(checkId)), 'utf8')) as Capture;
}

export function readNotThis(checkId: string): Record<string, NotThis> {
  const file = new URL('not-this.json', folderOf(checkId));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, NotThis>) : {};
}

/** The capture with its changes made; a change whose text is not there exactly once is an error. */
export function applyChanges(capture: Capture, changes: readonly Change[]): { facts: KnownFacts; results: CommandResult[] } {
  const facts: Record<string, unknown> = structuredClone(capture.facts);
  const results = structuredClone(capture.results);
  for (const change of changes) {
    if ('fact' in change) {
      if ('delete' in change) delete facts[change.fact];
      else facts[change.fact] = change.value;
      continue;
    }
    const result = results[change.result];
    if (!result) throw new Error(`the capture has no result ${change.result}`);
    if ('code' in change) {
      result.code = change.code;
      continue;
    }
    const text = result[change.stream];
    const at = text.indexOf(change.replace);
    if (at < 0 || text.indexOf(change.replace, at + 1) >= 0) throw new Error(`result ${change.result}'s ${change.stream} must hold ${JSON.stringify(change.replace)} exactly once`);
    result[change.stream] = text.slice(0, at) + change.with + text.slice(at + change.replace.length);
  }
  return { facts: facts as KnownFacts, results };
}

/**
 * Drives plan() as the runner does, each round answered from the capture in order; throws when a round asks
 * for anything but the next captured commands, or when the capture holds commands plan() never asks for.
 */
export function replayPlan(check: Check, capture: Capture): CommandResult[] {
  const done: CommandResult[] = [];
  for (let round = 0; round < 6; round++) {
    const batch = check.plan(capture.facts, done);
    if (!batch.length) break;
    for (const spec of batch) {
      const next = capture.results[done.length];
      if (!next || JSON.stringify(next.argv) !== JSON.stringify(spec.argv)) {
        throw new Error(`round ${round + 1} asks for ${JSON.stringify(spec.argv).slice(0, 200)}, the capture has ${next ? JSON.stringify(next.argv).slice(0, 200) : 'nothing more'}`);
      }
      done.push(next);
    }
  }
  if (done.length !== capture.results.length) throw new Error(`plan() asked for ${done.length} commands, the capture holds ${capture.results.length}`);
  return done;
}

export function interpretCapture(check: Check, capture: Capture): CheckResult {
  return check.interpret(capture.facts, capture.planned ? replayPlan(check, capture) : capture.results);
}
