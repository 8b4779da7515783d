/** How much of a log's end is read: enough for the recent errors, never a whole log. */
export const LOG_TAIL_BYTES = 256 * 1024;

export function tailCommand(path: string, bytes = LOG_TAIL_BYTES): string[] {
  return ['tail', '-c', String(bytes), '--', path];
}
