import type { ShownCommand } from '../shell/quote.js';

/** What a step shows as proof: what ran and the lines of its output that matter. */
export interface Evidence {
  /** The command that ran, as a person may paste it: built from its argv by shownCommand(), never by hand. */
  command?: ShownCommand;
  /** A probe that is no command a person could paste (a raw request, a TCP connect): said in words. */
  probe?: string;
  lines: string[];
  note?: string;
  /** The host this came from; the runner fills it in from the command that produced it. */
  host?: string;
}
