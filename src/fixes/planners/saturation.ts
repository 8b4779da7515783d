import { need } from '../../facts/need.js';
import type { FixPlan, Planner } from '../plan.js';
import { poolEdits, serviceCommands } from './sockets.js';

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

export const SATURATION_PLANNERS: Record<string, Planner> = {
  'raise-max-children': raiseMaxChildren,
};
