import { USAGE } from '../args.js';
import { BadCommandLine, BadgatewayError } from '../errors.js';
import { EXIT } from '../report/exit-codes.js';
import { say } from '../shell/stderr.js';

export { EXIT };

/**
 * What any error that ends a run prints, and the exit code it ends with: the one place that decides both
 * (src/cli.tsx calls it for every mode). A typed error says its message, then the usage when the command line
 * was wrong; anything else is a bug, said in one line (its stack only when BADGATEWAY_DEBUG is set). The
 * message may quote a host: say() strips its controls.
 */
export function exitOnError(error: unknown, write?: (text: string) => void, env: NodeJS.ProcessEnv = process.env): number {
  let message: string;
  let code: number;
  if (error instanceof BadgatewayError) {
    message = error instanceof BadCommandLine ? `${error.message}\n\n${USAGE}` : error.message;
    code = error.exitCode;
  } else {
    const stack = (error as Error | null)?.stack;
    message = env.BADGATEWAY_DEBUG && stack ? `unexpected error: ${stack}` : `unexpected error: ${String(error)} (a bug in badgateway; BADGATEWAY_DEBUG=1 shows where)`;
    code = EXIT.unreachable;
  }
  say(message, write);
  return code;
}
