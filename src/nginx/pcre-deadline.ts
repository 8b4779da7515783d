import { createContext, Script } from 'node:vm';

/**
 * PCRE2 gives up on a match after a bounded number of steps (nginx then answers 500: "pcre2_match() failed:
 * -47"); a JavaScript RegExp backtracks for as long as it takes, so a pattern like `^/([a-z]+/?)+$` and a
 * crafted URI would hang the wizard. Such patterns run under a deadline instead.
 */
export const MATCH_DEADLINE_MS = 250;

export class MatchLimit extends Error {
  constructor(readonly pattern: string) {
    super(`the regex ${pattern} gives up on this subject (PCRE2's match limit): nginx answers 500`);
  }
}

const sandbox = createContext({ re: null as RegExp | null, subject: '', out: null as RegExpExecArray | null });
const execute = new Script('out = re.exec(subject)');

/** re.exec(subject), stopped at the deadline: a V8 interrupt reaches a RegExp in the middle of its backtracking. */
export function execWithDeadline(re: RegExp, subject: string, pattern: string): RegExpExecArray | null {
  Object.assign(sandbox, { re, subject, out: null });
  try {
    execute.runInContext(sandbox, { timeout: MATCH_DEADLINE_MS });
    return sandbox.out as RegExpExecArray | null;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new MatchLimit(pattern);
    throw error;
  } finally {
    Object.assign(sandbox, { re: null, subject: '', out: null });
  }
}
