import type { CommandResult } from '../hosts/host.js';

/** The result of the first command whose argv starts with these words, if it ran. */
export function resultOf(results: readonly CommandResult[], ...prefix: string[]): CommandResult | undefined {
  return results.find((r) => prefix.every((part, i) => r.argv[i] === part));
}
