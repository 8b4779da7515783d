import { need } from '../../facts/need.js';
import type { FixPlan, Planner } from '../plan.js';

/** nginx is not at fault: point at the backend's own log, and at nginx's option to show its own page. */
const backendOwn502: Planner = {
  needs: ['upstream.target', 'backend.directStatus'],
  plan(facts): FixPlan {
    const target = need(facts, 'upstream.target');
    const status = need(facts, 'backend.directStatus');
    // Each module has its own switch (fastcgi_intercept_errors, uwsgi_intercept_errors, ...).
    const intercept = `${facts['upstream.module'] ?? 'proxy'}_intercept_errors`;
    return {
      commands: [],
      edits: [],
      notes: [
        `Nothing to change in nginx: ${target} answers ${status} itself. Read the backend's own log for this request; if it is a proxy too, follow the request to the service behind it.`,
        `To show visitors nginx's own error page instead of the backend's, set "${intercept} on;" with an error_page for ${status} in this location; the backend still fails.`,
      ],
    };
  },
};

export const PASSTHROUGH_PLANNERS: Record<string, Planner> = {
  'backend-own-502': backendOwn502,
};
