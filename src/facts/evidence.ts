/** What a step shows as proof: what ran and the lines of its output that matter. */
export interface Evidence {
  /** The command as a person would type it, or a short label for a probe. */
  command?: string;
  lines: string[];
  note?: string;
  /** The host this came from; the runner fills it in from the command that produced it. */
  host?: string;
}
