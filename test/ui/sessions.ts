import { advance, startSession, type Session } from '../../src/engine/session.js';
import type { KnownFacts } from '../../src/facts/keys.js';
import { loadFlowFile } from '../../src/flow/loader.js';
import { defaultFlowFile } from '../../src/flow-files/locate.js';
import type { Host } from '../../src/hosts/host.js';
import { shownCommand } from '../../src/shell/quote.js';

export const FLOW = loadFlowFile(defaultFlowFile());

/** A host for screens that must not run anything: any command fails the test. */
export const NO_COMMANDS: Host = {
  label: 'local',
  run: async (command) => {
    throw new Error(`this screen should not run ${command.argv.join(' ')}`);
  },
  close: async () => {},
};

/** A host whose commands never finish: the screen stays on the first step's spinner. */
export const NEVER_ANSWERS: Host = { label: 'local', run: () => new Promise(() => {}), close: async () => {} };

/** Walks the real flow along the given outcomes, with the facts each step would have learned. */
export function sessionAlong(steps: { outcome: string; summary: string; learned?: KnownFacts; lines?: string[] }[]): Session {
  let session = startSession(FLOW);
  for (const step of steps) {
    session = advance(session, {
      host: 'local',
      outcome: step.outcome,
      summary: step.summary,
      evidence: [{ command: shownCommand(['example']), lines: step.lines ?? [] }],
      learned: step.learned ?? {},
      ms: 5,
    });
  }
  return session;
}
