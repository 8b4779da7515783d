/** A problem in a flow file, located so a person can jump to it. */
export class FlowError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}`);
  }
}
