import { commandLine } from '../../shell/quote.js';
import { need } from '../../facts/need.js';
import type { KnownFacts } from '../../facts/keys.js';
import type { FixPlan, Planner } from '../plan.js';
import { whyItDied } from './closed.js';
import { serviceCommands } from './sockets.js';

/**
 * A backend that is down because it died. Once (on a request): start it again, and say what killed it.
 * As soon as it starts, again and again: no start or restart, which only begins the loop again; what to fix
 * first, and how it is started once fixed.
 */

const readLogs = (facts: KnownFacts): string[] => {
  const logs = facts['crash.logs'] ?? [];
  return logs.length ? [`Its log: ${commandLine(['tail', '-n', '100', '--', ...logs], 'person')}.`] : [];
};

/** It died (a request killed it) and nothing started it again: start it, and say it dies again on the same request. */
const startCrashedBackend: Planner = {
  needs: ['crash.summary', 'crash.lines', 'crash.listening', 'service.unit', 'service.start'],
  plan(facts): FixPlan {
    const unit = need(facts, 'service.unit');
    const lines = need(facts, 'crash.lines').join('\n');
    const back = need(facts, 'crash.listening');
    return {
      // Started again meanwhile (a loop in its init script, its supervisor): nothing to start.
      commands: back ? [] : serviceCommands(facts, 'start', `start ${unit} again: it died, and nothing started it again`),
      edits: [],
      notes: [
        ...(back ? [`${unit} listens again: what runs it started it again after it died.`] : []),
        ...(need(facts, 'service.start').length || back ? [] : [`Start ${unit} with the tool that manages it here: nothing on this box showed which one.`]),
        'Starting it is not the whole fix: the same kind of request kills it again. The lines shown say why it died.',
        ...whyItDied(lines),
        ...readLogs(facts),
      ],
    };
  },
};

/** How it starts again once the cause is fixed: by itself under runit or s6, else with what manages it. */
function onceFixed(facts: KnownFacts): string {
  const manager = facts['service.manager'];
  if (manager === 'runit' || manager === 's6')
    return `${manager === 'runit' ? "runit's runsv" : "s6's s6-supervise"} keeps starting it, about once a second: once the cause is fixed it stays up by itself.`;
  // A manager already starting it in a loop (pm2, a FATAL supervisord program) offers no start now: its restart then.
  const start = facts['service.start']?.length ? facts['service.start'] : (facts['service.restart'] ?? []);
  if (manager === 'pm2' && start.length)
    return `pm2 stops starting it after max_restarts quick deaths (status errored): once the cause is fixed, start it again (${commandLine(start, 'person')}) and check that it stays online (pm2 list: its restarts must stop climbing).`;
  return start.length
    ? `Once the cause is fixed, start it (${commandLine(start, 'person')}) and check that it stays up: its log must show no new death.`
    : 'Once the cause is fixed, start it with what manages it here, and check that it stays up: its log must show no new death.';
}

/** It dies at start, again and again: advice only; a start would be reported as healing what it does not. */
const backendCrashLoop: Planner = {
  needs: ['crash.summary', 'crash.lines'],
  plan(facts): FixPlan {
    const lines = need(facts, 'crash.lines').join('\n');
    return {
      commands: [],
      edits: [],
      notes: [
        'Do not restart it to fix this: it dies again within a second of every start. Fix what the lines shown name first (a missing setting or file, a bad deploy, a module that does not load, a port already taken).',
        ...(/Traceback|Error:|Exception/.test(lines) ? ['The exception and its first frame name the file and line that fail at start.'] : []),
        ...whyItDied(lines).filter((n) => !n.startsWith('The exception')),
        ...readLogs(facts),
        onceFixed(facts),
      ],
    };
  },
};

export const CRASH_PLANNERS: Record<string, Planner> = {
  'start-crashed-backend': startCrashedBackend,
  'backend-crash-loop': backendCrashLoop,
};
