import { need } from '../../facts/need.js';
import type { FixPlan, Planner } from '../plan.js';
import { serviceCommands } from './sockets.js';

/** Stopped processes run again on SIGCONT; nothing else about them changes. */
const continueBackend: Planner = {
  needs: ['backend.stoppedPids', 'backend.hint'],
  plan(facts): FixPlan {
    const pids = need(facts, 'backend.stoppedPids');
    return {
      commands: [{ argv: ['kill', '-CONT', '--', ...pids.map(String)], why: `let ${need(facts, 'backend.hint').label} run again: its processes wait for SIGCONT`, durable: true }],
      edits: [],
      notes: [
        'Something stopped it: a person pressing Ctrl-Z in the terminal that started it, a kill -STOP, or a debugger (strace, gdb) left attached. Find who, or it happens again.',
        'The connections that queued while it was stopped are served at once, some long after their clients gave up.',
      ],
    };
  },
};

/** A backend that accepts and never answers: restart it with what manages it; say what to capture first. */
const restartHungBackend: Planner = {
  needs: ['backend.hint', 'backend.states', 'service.manager', 'service.unit', 'service.start', 'service.stop', 'service.restart', 'service.reload'],
  plan(facts): FixPlan {
    const unit = need(facts, 'service.unit');
    const pid = need(facts, 'backend.hint').pid;
    const commands = serviceCommands(facts, 'restart', `restart ${unit}: its workers are stuck, and a restart gives it fresh ones`);
    return {
      commands,
      edits: [],
      notes: [
        ...(commands.length ? [] : [`Restart ${unit} with the tool that manages it here: nothing on this box showed which one.`]),
        `Before the restart, capture where it is stuck, or it will hang again for the same reason: ${pid !== null ? `py-spy dump --pid ${pid} (Python), kill -QUIT ${pid} for a Java or Go stack, cat /proc/${pid}/stack, ` : ''}the backend's slow log, and what it waits on (a database lock, a remote API without a timeout, a full disk).`,
      ],
    };
  },
};

export const HUNG_PLANNERS: Record<string, Planner> = {
  'continue-backend': continueBackend,
  'restart-hung-backend': restartHungBackend,
};
