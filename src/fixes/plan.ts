import type { FactKey, KnownFacts } from '../facts/keys.js';

export interface PlannedCommand {
  argv: string[];
  why: string;
  /** Survives a restart of the service or a reboot; false: a stopgap that a restart undoes. */
  durable: boolean;
}

/** A change to one line of a config file: the line as it is and as it should be. */
export interface ConfigEdit {
  file: string;
  line: number;
  before: string;
  after: string;
  why: string;
}

export interface FixPlan {
  commands: PlannedCommand[];
  edits: ConfigEdit[];
  /** Plain words: alternatives, caveats, what is left to the person. */
  notes: string[];
}

export interface Planner {
  needs: readonly FactKey[];
  plan(facts: KnownFacts): FixPlan;
}
