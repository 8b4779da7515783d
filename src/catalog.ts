import { CHECKS } from './checks/index.js';
import { PLANNERS } from './fixes/planners/index.js';
import type { Catalog } from './flow/lint.js';

/**
 * The one catalogue: every check (`check:` in a flow) and every fix planner (`plan:`) by the names flows use.
 * It lives above both, so checks and fixes never import each other.
 */
export const CATALOG: Catalog = { checks: CHECKS, planners: PLANNERS };
