/**
 * The errors that end a run, each carrying its exit code (DESIGN.md: 2 usage or bad input, 3 could not reach
 * or run). Thrown anywhere; src/cli.tsx turns any of them into one message on stderr and that exit code
 * (exitOnError in src/modes/exit.ts). Matched with instanceof, never by name: the bundle renames classes.
 */
import { EXIT } from './report/exit-codes.js';

export abstract class BadgatewayError extends Error {
  abstract readonly exitCode: number;
}

/** Exit 2: what the person gave is wrong (a flow, a recording, an incident's name); nothing was tried. */
export class BadInput extends BadgatewayError {
  readonly exitCode: number = EXIT.usage;
}

/** Exit 2, and the usage follows the message: the command line itself is wrong (an option, a URL). */
export class BadCommandLine extends BadInput {}

/** Exit 3: a host could not be reached, or something could not be run or asked there. */
export class CannotRun extends BadgatewayError {
  readonly exitCode: number = EXIT.unreachable;
}
