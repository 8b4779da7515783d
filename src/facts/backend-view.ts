import { NO_BACKEND_VIEW, type CommandResult, type CommandSpec } from '../hosts/host.js';
import type { Evidence } from './evidence.js';

/**
 * Commands about the backend's own box (what listens there, its processes, logs and firewall) run on the
 * host that owns the address nginx dials; when no host of the session is that box, they come back with
 * NO_BACKEND_VIEW and the checks say so instead of reading an empty answer as "nothing there".
 */
export function onBackend(spec: CommandSpec): CommandSpec {
  return { ...spec, on: 'backend' };
}

/** The command was meant for the backend's box, and no host of the session is that box. */
export function unseen(run: CommandResult | undefined): boolean {
  return run?.failure === NO_BACKEND_VIEW;
}

/** Evidence that the backend's box was not examined: what is therefore not known. */
export function notExamined(address: string, unknown: string): Evidence {
  return {
    lines: [`the backend's box (the one that owns ${address}) was not examined: no host of this session is that box, so ${unknown} is not known`],
    note: 'to see it, add that box to the session: --host app=[user@]host',
  };
}

/**
 * Whether two results came from the same box. Without host labels (a check's unit test, one host) they
 * did. A process id seen on one box means nothing on another.
 */
export function sameBox(a: CommandResult | undefined, b: CommandResult | undefined): boolean {
  return !a?.host || !b?.host || a.host === b.host;
}
