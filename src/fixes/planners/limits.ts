import { need } from '../../facts/need.js';
import { routeOf } from '../../facts/route.js';
import { BOOLEAN } from '../../system/selinux.js';
import type { KnownFacts } from '../../facts/keys.js';
import { bufferChanges, effectiveBuffers, formatNginxSize, neededBufferSize, nextPowerOfTwo } from '../../nginx/buffers.js';
import { setInLocation } from '../location-edit.js';
import { directiveText, testAndReload } from '../nginx-edit.js';
import type { ConfigEdit, FixPlan, Planner } from '../plan.js';
import { CONNECTION_PLANNERS } from './connection.js';

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

/** Let nginx (httpd_t) connect out: the boolean for any port, or a label for one port. */
const selinuxAllowConnect: Planner = {
  needs: ['selinux.boolean', 'upstream.port'],
  plan(facts): FixPlan {
    const port = need(facts, 'upstream.port');
    const narrow = `Narrower: allow only this port by labelling it for web services, "semanage port -a -t http_port_t -p tcp ${port}" (use -m instead of -a when "semanage port -l" already lists ${port} under another type). RHEL-family policies let nginx connect to http_port_t ports without the boolean.`;
    const commands =
      need(facts, 'selinux.boolean') === 'on' ? [] : [{ argv: ['setsebool', '-P', BOOLEAN, '1'], why: 'let nginx (httpd_t) connect to any TCP port; -P keeps it after a reboot', durable: true }];
    return {
      commands,
      edits: [],
      notes: [
        ...(commands.length ? [] : [`${BOOLEAN} is already on, yet SELinux denied the connection: read the denial with "ausearch -m avc -ts recent | audit2why".`]),
        narrow,
        'Do not switch SELinux to permissive to get past this: that turns off every rule, not this one.',
      ],
    };
  },
};

/** nginx is not at fault: point at the backend's own log, and at nginx's option to show its own page. */
const backendOwn502: Planner = {
  needs: ['upstream.target', 'backend.directStatus'],
  plan(facts): FixPlan {
    const target = need(facts, 'upstream.target');
    const status = need(facts, 'backend.directStatus');
    return {
      commands: [],
      edits: [],
      notes: [
        `Nothing to change in nginx: ${target} answers ${status} itself. Read the backend's own log for this request; if it is a proxy too, follow the request to the service behind it.`,
        `To show visitors nginx's own error page instead of the backend's, set "proxy_intercept_errors on;" with an error_page for ${status} in this location; the backend still fails.`,
      ],
    };
  },
};

/** The FastCGI read timeout, kept in step with php-fpm's own limit for the pool. */
const raiseFastcgiTimeout: Planner = {
  needs: ['nginx.config', 'timeout.directive', 'timeout.suggested', 'route.location', 'nginx.test', 'nginx.reload', 'fpm.terminateTimeout'],
  plan(facts): FixPlan {
    const base = (CONNECTION_PLANNERS['raise-read-timeout'] as Planner).plan(facts);
    const pool = facts['fpm.pool'];
    const place = pool?.places.request_terminate_timeout ?? pool?.section ?? null;
    return {
      ...base,
      notes: [
        ...base.notes,
        `php-fpm's request_terminate_timeout: ${need(facts, 'fpm.terminateTimeout')}. A fastcgi_read_timeout above it never helps: php-fpm kills the script first and nginx then logs a closed connection instead of a timeout.`,
        ...(place ? [`To let scripts run longer, raise request_terminate_timeout too (${place.file}:${place.line}) and reload php-fpm.`] : []),
      ],
    };
  },
};

export const LIMITS_PLANNERS: Record<string, Planner> = {
  'grow-header-buffer': growHeaderBuffer,
  'raise-worker-limits': raiseWorkerLimits,
  'selinux-allow-connect': selinuxAllowConnect,
  'backend-own-502': backendOwn502,
  'raise-fastcgi-timeout': raiseFastcgiTimeout,
};
