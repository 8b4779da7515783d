import { need } from '../../facts/need.js';
import type { FixPlan, Planner } from '../plan.js';
import type { KnownFacts } from '../../facts/keys.js';
import { backendEdits } from '../backend-edit.js';
import { backendRestart, poolEdits, serviceCommands } from './sockets.js';

/** A php-fpm pool out of children: more children, sized by the memory the box has, then a restart. */
const raiseMaxChildren: Planner = {
  needs: ['fpm.pool', 'fpm.maxChildren', 'fpm.suggestedChildren', 'service.manager', 'service.unit', 'service.start', 'service.stop', 'service.restart', 'service.reload'],
  plan(facts): FixPlan {
    const pool = need(facts, 'fpm.pool');
    const limit = need(facts, 'fpm.maxChildren');
    const suggested = need(facts, 'fpm.suggestedChildren');
    const edits = poolEdits(pool, { 'pm.max_children': String(suggested) }, `pool ${pool.name} ran out of its ${limit} children; ${suggested} fit in the memory the box has now`);
    const restart = serviceCommands(facts, 'restart', `restart ${need(facts, 'service.unit')} so the pool may start more children`);
    return {
      commands: restart,
      edits,
      notes: [
        ...(edits.length ? [] : [`Set pm.max_children = ${suggested} in pool ${pool.name}, then restart php-fpm.`]),
        'More children only help while the box has memory for them: watch it after the change (free -m), and lower the number if the box starts to swap.',
        "Find what keeps the children busy: php-fpm's slowlog (request_slowlog_timeout) names the scripts and lines that run long, and pm.status_path shows the queue live. A longer fastcgi_read_timeout would only let the queue grow.",
      ],
    };
  },
};

/** gunicorn's or uwsgi's workers raised where its service definition sets them (and its queue, when it overflowed), then a restart. */
function moreWorkers(facts: KnownFacts, queueFull: boolean): FixPlan {
  const settings = need(facts, 'backend.settings');
  const workers = need(facts, 'backend.workers');
  const backlog = need(facts, 'backend.backlog');
  const gunicorn = settings.program === 'gunicorn';
  const workerName = gunicorn ? '--workers' : 'processes';
  const raiseQueue = queueFull && backlog.suggested > backlog.current;
  const workerEdits = backendEdits(settings, { workers: String(workers.suggested) }, `${workerName} ${workers.why}`);
  const queueWhy = `the listen queue of ${backlog.current} overflowed: ${backlog.suggested}${backlog.somaxconn ? ` (net.core.somaxconn ${backlog.somaxconn} caps it)` : ''}`;
  const edits = raiseQueue ? backendEdits(settings, { workers: String(workers.suggested), backlog: String(backlog.suggested) }, `${workerName} ${workers.why}; ${queueWhy}`) : workerEdits;
  const restart = backendRestart(facts, `restart ${need(facts, 'service.unit')} so ${settings.program} starts ${workers.suggested} workers`);
  return {
    commands: restart,
    edits,
    notes: [
      `Workers: ${workers.why}.`,
      ...(raiseQueue ? [`Queue: ${queueWhy}.`] : []),
      'More workers only help while the box has memory for them: watch it after the change (free -m), and lower the number if the box starts to swap.',
      `Find what keeps the workers busy: the backend's access log with request times${gunicorn ? ", and gunicorn's --timeout (WORKER TIMEOUT lines)" : ", and uwsgi's harakiri"}. A longer timeout in nginx would only let the queue grow.`,
    ],
  };
}

const raiseWorkers: Planner = {
  needs: ['backend.settings', 'backend.workers', 'backend.backlog', 'service.manager', 'service.unit', 'service.start', 'service.stop', 'service.restart', 'service.reload'],
  plan: (facts) => moreWorkers(facts, false),
};

const raiseWorkersAndQueue: Planner = {
  needs: raiseWorkers.needs,
  plan: (facts) => moreWorkers(facts, true),
};

export const SATURATION_PLANNERS: Record<string, Planner> = {
  'raise-max-children': raiseMaxChildren,
  'raise-workers': raiseWorkers,
  'raise-workers-and-queue': raiseWorkersAndQueue,
};
