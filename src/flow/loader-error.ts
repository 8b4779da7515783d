import { BadInput } from '../errors.js';

/** A problem in a flow file, located so a person can jump to it: exit 2. */
export class FlowError extends BadInput {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${problem}`);
  }
}

/** A flow that loads but is incomplete (an outcome without a branch, a node never reached): it never runs; exit 2. */
export class IncompleteFlow extends BadInput {
  constructor(readonly problems: string[]) {
    super(`the flow is incomplete:\n${problems.join('\n')}`);
  }
}
