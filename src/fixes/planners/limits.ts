import { need } from '../../facts/need.js';
import { routeOf } from '../../facts/route.js';
import type { KnownFacts } from '../../facts/keys.js';
import { bufferChanges, effectiveBuffers, formatNginxSize, neededBufferSize, nextPowerOfTwo } from '../../nginx/buffers.js';
import { setInLocation } from '../location-edit.js';
import { directiveText, testAndReload } from '../nginx-edit.js';
import type { ConfigEdit, FixPlan, Planner } from '../plan.js';

function routeFor(facts: KnownFacts) {
  const route = routeOf(facts);
  if (!route) throw new Error('the request no longer routes anywhere');
  return route;
}

/** A header buffer that holds the measured header, and the body buffers nginx then insists on. */
const growHeaderBuffer: Planner = {
  needs: ['nginx.config', 'request.url', 'request.port', 'request.path', 'request.hostHeader', 'system.pageSize', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const route = routeFor(facts);
    const buffers = effectiveBuffers(route, need(facts, 'system.pageSize'));
    const bytes = facts['headers.bytes'] ?? null;
    const wanted = neededBufferSize(bytes, buffers.bufferSize.value);
    const changes = bufferChanges(buffers, wanted);
    const notes = [
      `${buffers.module}_buffer_size holds the status line and every header of one response; the body uses ${buffers.module}_buffers. ${changes.length > 1 ? 'The other lines keep the buffers consistent: nginx -t refuses busy buffers bigger than all buffers but one, or smaller than the biggest single buffer.' : "The body buffers already fit nginx's rules with the bigger header buffer."}`,
    ];
    if (bytes === null)
      notes.unshift(
        `The header size could not be measured, so this doubles the buffer (${formatNginxSize(buffers.bufferSize.value)} -> ${formatNginxSize(wanted)}); if nginx still logs "too big header", double it again.`,
      );
    return { commands: testAndReload(facts), edits: setInLocation(route, changes), notes };
  },
};

/** worker_connections suggested when it ran out: twice as many, never below 1024. */
export function moreConnections(current: number): number {
  return Math.max(1024, nextPowerOfTwo(current * 2));
}

/** Open files for workers that may each hold `connections` sockets, plus log and temp files. */
export function moreFiles(connections: number, currentLimit: number | null): number {
  return Math.max(2 * connections, nextPowerOfTwo((currentLimit ?? 0) * 2), 1024);
}

function mainContextEdit(facts: KnownFacts, name: string, value: number, why: string): ConfigEdit | null {
  const limits = need(facts, 'worker.limits');
  const written = name === 'worker_rlimit_nofile' ? limits.rlimitPlace : limits.connectionsPlace;
  const setting = directiveText(name, [String(value)]);
  if (written) {
    const current = name === 'worker_rlimit_nofile' ? limits.rlimitNofile : limits.connections;
    return { file: written.file, line: written.line, before: directiveText(name, [String(current)]), after: setting, why };
  }
  const events = limits.eventsPlace;
  if (!events) return null;
  // worker_rlimit_nofile belongs to the main context: right before events{}; worker_connections inside it.
  return name === 'worker_rlimit_nofile'
    ? { file: events.file, line: events.line, before: 'events {', after: `${setting}\nevents {`, why }
    : { file: events.file, line: events.line, before: 'events {', after: `events {\n    ${setting}`, why };
}

/** More connections per worker, and the open files they need; systemd's own limit when it runs nginx. */
const raiseWorkerLimits: Planner = {
  needs: ['worker.limits', 'error.kind', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const limits = need(facts, 'worker.limits');
    const filesShort = need(facts, 'error.kind') === 'too-many-open-files';
    const connections = filesShort ? limits.connections : moreConnections(limits.connections);
    const limitNow = limits.openFilesSoft ?? limits.rlimitNofile;
    const files = moreFiles(connections, filesShort ? limitNow : null);
    const edits: ConfigEdit[] = [];
    const notes: string[] = [];
    if (!filesShort) {
      const edit = mainContextEdit(facts, 'worker_connections', connections, `each worker may hold ${connections} connections; a proxied request uses two (client and backend)`);
      if (edit) edits.push(edit);
      else notes.push(`Set worker_connections ${connections}; in the events { } block.`);
    }
    if (filesShort || limitNow === null || limitNow < 2 * connections) {
      const edit = mainContextEdit(facts, 'worker_rlimit_nofile', files, `room for ${connections} connections per worker plus log and temporary files`);
      if (edit) edits.push(edit);
      else notes.push(`Set worker_rlimit_nofile ${files}; in the main context of nginx.conf.`);
    }
    // Both added around the same `events {` line: one edit, so neither undoes the other.
    const [first, second] = edits;
    if (first && second && first.before === 'events {' && second.before === 'events {') {
      edits.splice(0, 2, { ...first, after: `${second.after.replace(/\nevents \{$/, '')}\n${first.after}`, why: `${first.why}; ${second.why}` });
    }
    const reload = need(facts, 'nginx.reload');
    if (reload[0] === 'systemctl') {
      const unit = reload[2] ?? 'nginx';
      notes.push(
        `systemd starts nginx (${unit}) with its own open-file limit (systemctl show -p LimitNOFILE ${unit}). nginx's workers raise their own limit to worker_rlimit_nofile when the master runs as root; to raise the master's too, add a drop-in with "systemctl edit ${unit}": [Service] LimitNOFILE=${files}, then "systemctl restart ${unit}" (a reload keeps the master's old limit).`,
      );
    }
    notes.push('Ran out under load? Also count how many requests wait on a slow backend: more connections only buys time if the backend keeps up.');
    return { commands: testAndReload(facts), edits, notes };
  },
};

export const LIMITS_PLANNERS: Record<string, Planner> = {
  'grow-header-buffer': growHeaderBuffer,
  'raise-worker-limits': raiseWorkerLimits,
};
