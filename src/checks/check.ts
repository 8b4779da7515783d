import type { FactKey, KnownFacts } from '../facts/keys.js';
import type { GuideStep } from '../flow/guide-steps.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import type { Evidence } from '../facts/evidence.js';

/** Another reading of the evidence a person may choose instead of the check's own (the default). */
export interface Alternative<O extends string = string> {
  label: string;
  outcome: O;
  facts: KnownFacts;
  summary: string;
}

export interface CheckResult<O extends string = string> {
  outcome: O;
  facts: KnownFacts;
  evidence: Evidence[];
  /** One line for the checklist: what the check found. */
  summary: string;
  /**
   * When only a person can tell (which of these listeners is your backend?), the wizard asks this
   * question; without a person (--json) the check's own outcome stands.
   */
  ask?: { question: string; alternatives: Alternative<O>[] };
}

/**
 * A check is data plus pure functions: which commands it needs given what is known, and what their
 * output means. It never runs anything itself; the runner asks a host.
 */
export interface Check {
  id: string;
  /** The step of the usual troubleshooting guides this check belongs to (practice names it for review). */
  guide: GuideStep;
  /** Every outcome interpret() can return; a flow must branch on each. */
  outcomes: readonly string[];
  /** Facts that must be known before this check can run. */
  needs: readonly FactKey[];
  /** Facts this check learns whatever its outcome; per-outcome extras in learnsOn. */
  learns: readonly FactKey[];
  learnsOn?: Readonly<Record<string, readonly FactKey[]>>;
  /**
   * The commands still needed, given the facts and the results gathered so far for this check.
   * Called again after each batch until it returns nothing; each batch runs in parallel.
   */
  plan(facts: KnownFacts, done: readonly CommandResult[]): CommandSpec[];
  /**
   * Commands that may run before the step is reached (look-ahead), so they cost no round trip of
   * their own: 'first-round' is plan()'s first round once every need is known; 'every-round' is each of
   * plan()'s rounds in turn, the next asked as the one before answers (for a check whose rounds only
   * read files and settings); a function gets the facts known so far. Only for commands that read (no
   * request to the site or a backend, nothing written).
   */
  early?: 'first-round' | 'every-round' | ((facts: KnownFacts) => CommandSpec[]);
  /**
   * The facts the look-ahead of 'first-round' or 'every-round' waits for, when they are not `needs`: fewer,
   * for a plan that reads less than interpret() does; more, for commands that must not run before a fact
   * is learned (after the request was replayed).
   */
  aheadNeeds?: readonly FactKey[];
  interpret(facts: KnownFacts, results: readonly CommandResult[]): CheckResult;
}

/** A check as written: its interpret() may return only the outcomes it lists, and learnsOn names only those. */
export type CheckOf<O extends string> = Omit<Check, 'outcomes' | 'learnsOn' | 'interpret'> & {
  outcomes: readonly O[];
  learnsOn?: Readonly<Partial<Record<NoInfer<O>, readonly FactKey[]>>>;
  interpret(facts: KnownFacts, results: readonly CommandResult[]): CheckResult<NoInfer<O>>;
};

/** Declares a check: an outcome its interpret() returns that its outcomes do not list fails to compile. */
export function defineCheck<const O extends string>(check: CheckOf<O>): Check {
  return check as Check;
}
