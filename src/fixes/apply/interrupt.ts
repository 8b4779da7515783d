import { say as sayOnStderr } from '../../shell/stderr.js';
/**
 * Ctrl-C, SIGTERM or a hang-up while a fix is being applied: the apply is told (through the abort
 * signal) and stops at the next step boundary, rolling back; the process stays alive until it has.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function onInterrupt(controller: AbortController, say: (message: string) => void = (m) => sayOnStderr(m)): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) say(`${signal} again: still finishing; the config stays valid and the report follows`);
    else say(`${signal}: finishing the current step, then rolling back (the config stays valid)`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}
