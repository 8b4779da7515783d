import type { Planner } from '../plan.js';
import { CONNECTION_PLANNERS } from './connection.js';

/** Every fix planner by the name flows use in `plan:`. Each group of causes keeps its planners in its own file. */
export const PLANNERS: Readonly<Record<string, Planner>> = {
  ...CONNECTION_PLANNERS,
};
