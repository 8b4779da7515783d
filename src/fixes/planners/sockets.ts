import { commandLine } from '../../shell/quote.js';
import { need } from '../../facts/need.js';
import type { BackendSetting, BackendSettings, FpmKey, FpmPool, KnownFacts } from '../../facts/keys.js';
import { supervisorUpdate } from '../apply/commands.js';
import { backendEdits } from '../backend-edit.js';
import { poolAddressForNginx, parseFpmListen } from '../../system/php-fpm.js';
import { directiveAt, directiveText, testAndReload } from '../nginx-edit.js';
import type { ConfigEdit, FixPlan, PlannedCommand, Planner } from '../plan.js';

const SERVICE = ['service.manager', 'service.unit', 'service.start', 'service.stop', 'service.restart', 'service.reload'] as const;

/** Start, or restart, the backend with what manages it on this box (restart: stop then start when no single command does it). */
export function serviceCommands(facts: KnownFacts, verb: 'start' | 'restart', why: string): PlannedCommand[] {
  const start = facts['service.start'] ?? [];
  if (verb === 'start') return start.length ? [{ argv: start, why, durable: true }] : [];
  const restart = facts['service.restart'] ?? [];
  if (restart.length) return [{ argv: restart, why, durable: true }];
  const stop = facts['service.stop'] ?? [];
  if (!stop.length || !start.length) return [];
  return [
    { argv: stop, why: `stop ${facts['service.unit'] ?? 'the backend'} (a graceful stop: requests in flight finish)`, durable: true },
    { argv: start, why, durable: true },
  ];
}

/** Where to read why it stopped: the logs its own service definition names, else where to look. */
function whyStoppedNote(facts: KnownFacts): string {
  if (facts['service.manager'] === 'docker' && facts['service.unit']) {
    return `Then read why it stopped: ${commandLine(['docker', 'logs', '--tail', '100', facts['service.unit']], 'person')}; an out-of-memory kill shows in ${commandLine(['docker', 'inspect', '--format', '{{.State.OOMKilled}} {{.State.ExitCode}}', facts['service.unit']], 'person')}.`;
  }
  const logs = facts['service.logs'] ?? [];
  return logs.length
    ? `Then read why it stopped: ${commandLine(['tail', '-n', '100', '--', ...logs], 'person')}; also a failed deploy, or an out-of-memory kill (dmesg | grep -i kill).`
    : 'Then find out why it stopped: its own log, a failed deploy, an out-of-memory kill (dmesg | grep -i kill).';
}

function noManagerNote(facts: KnownFacts, what: string): string[] {
  // A manager that is known but offers no start (supervisord gave up on the program, pm2 restarts it in a loop) says why in its own evidence.
  return facts['service.start']?.length || facts['service.manager'] === 'supervisor' || facts['service.manager'] === 'pm2'
    ? []
    : [`${what} with the tool that manages it here (systemctl, service, supervisorctl, pm2, docker): nothing on this box showed which one.`];
}

function where(place: { file: string; line: number } | undefined): string {
  return place ? ` (${place.file}:${place.line})` : '';
}

/** The pool behind the upstream, if it is the one creating this socket or listening at this address. */
function poolAt(facts: KnownFacts, address: string): FpmPool | null {
  const pool = facts['fpm.pool'];
  const listen = pool ? parseFpmListen(pool.values.listen ?? '') : null;
  if (!pool || !listen) return null;
  return (listen.kind === 'unix' ? listen.path : poolAddressForNginx(listen)) === address ? pool : null;
}

/**
 * Set pool settings: lines that exist are rewritten in place, missing ones go after the listen line.
 * Returns no edit when the pool's files were not readable (the note says what to set).
 */
export function poolEdits(pool: FpmPool, wanted: Partial<Record<FpmKey, string>>, why: string): ConfigEdit[] {
  const edits: ConfigEdit[] = [];
  const missing: string[] = [];
  for (const [key, value] of Object.entries(wanted) as [FpmKey, string][]) {
    if (pool.values[key] === value) continue;
    const place = pool.places[key];
    if (place) edits.push({ file: place.file, line: place.line, before: place.text, after: `${key} = ${value}`, why });
    else missing.push(`${key} = ${value}`);
  }
  const anchor = pool.places.listen;
  if (missing.length && anchor) edits.push({ file: anchor.file, line: anchor.line, before: anchor.text, after: [anchor.text, ...missing].join('\n'), why });
  return anchor || !missing.length ? edits : [];
}

/** A pool whose config php-fpm's own test rejects: starting php-fpm fails until the line it names is corrected. */
export function rejectedNote(pool: FpmPool | null, start: readonly PlannedCommand[]): string[] {
  if (!pool?.rejected) return [];
  const then = start.length ? `, then ${start.map((c) => commandLine(c.argv, 'person')).join(' && ')}` : '';
  return [
    `php-fpm will not start with this config: ${pool.rejected}. Correct that line first (${commandLine([pool.binary, '-t', '--fpm-config', pool.conf], 'person')} checks it)${then}; nothing is started for you until then, since it would fail.`,
  ];
}

function fpmLog(pool: FpmPool): string[] {
  return pool.errorLog ? [`php-fpm writes why it stopped or failed to start to ${pool.errorLog}.`] : [];
}

/** The nginx line that dials the upstream, rewritten to dial `address` ("unix:/path" or "host:port"). */
function retargetNginx(facts: KnownFacts, address: string, why: string): ConfigEdit | null {
  const place = need(facts, 'upstream.place');
  const target = need(facts, 'upstream.target');
  const directive = directiveAt(facts, place, (d) => d.args.some((arg) => arg.includes(target)));
  if (!directive) return null;
  const after = directive.args.map((arg) => {
    if (!arg.includes(target)) return arg;
    const replaced = arg.replace(target, address);
    // proxy_pass http://unix:/path:/uri needs the colon that ends a socket path before a URI.
    const rest = replaced.slice(replaced.indexOf(address) + address.length);
    if (address.startsWith('unix:') && rest.startsWith('/')) return replaced.replace(address + rest, `${address}:${rest}`);
    if (target.startsWith('unix:') && rest.startsWith(':/')) return replaced.replace(address + rest, address + rest.slice(1));
    return replaced;
  });
  return { file: place.file, line: place.line, before: directiveText(directive.directive, directive.args), after: directiveText(directive.directive, after), why };
}

/** Nothing created the socket: the backend is stopped (or lost its socket); start it, or restart it. */
const socketMissing: Planner = {
  needs: ['upstream.socket', ...SERVICE],
  plan(facts): FixPlan {
    const socket = need(facts, 'upstream.socket');
    const pool = poolAt(facts, socket);
    const running = facts['backend.hint']?.pid != null;
    const unit = need(facts, 'service.unit');
    const commands = running
      ? serviceCommands(facts, 'restart', `${unit} runs but its socket is gone: a restart creates ${socket} again`)
      : serviceCommands(facts, 'start', `start ${unit}: it creates ${socket} when it starts`);
    return {
      commands: pool?.rejected ? [] : commands,
      edits: [],
      notes: [
        ...rejectedNote(pool, commands),
        ...noManagerNote(facts, `Start the backend that creates ${socket}`),
        ...(pool ? [`php-fpm pool ${pool.name} creates this socket: listen = ${pool.values.listen}${where(pool.places.listen)}.`, ...fpmLog(pool)] : []),
        whyStoppedNote(facts),
      ],
    };
  },
};

/** nginx and the backend name two different socket paths: make nginx dial the backend's. */
const socketPath: Planner = {
  needs: ['upstream.socket', 'upstream.place', 'upstream.target', 'backend.listenInstead', 'nginx.config', 'nginx.test', 'nginx.reload', ...SERVICE],
  plan(facts): FixPlan {
    const socket = need(facts, 'upstream.socket');
    const instead = need(facts, 'backend.listenInstead');
    const pool = poolAt(facts, instead);
    const edit = retargetNginx(facts, `unix:${instead}`, `the backend creates its socket at ${instead}`);
    const running = facts['backend.hint']?.pid != null;
    const start = running ? [] : serviceCommands(facts, 'start', `start ${need(facts, 'service.unit')}: it creates ${instead}`);
    return {
      commands: [...start, ...testAndReload(facts)],
      edits: edit ? [edit] : [],
      notes: [
        ...(edit ? [] : [`Change unix:${socket} to unix:${instead} at ${need(facts, 'upstream.place').file}:${need(facts, 'upstream.place').line}.`]),
        pool
          ? `Or keep nginx as it is and make pool ${pool.name} listen where nginx dials: listen = ${socket}${where(pool.places.listen)}, then restart php-fpm.`
          : `Or make the backend create its socket at ${socket} instead, and restart it.`,
        ...(running ? [] : noManagerNote(facts, `Start the backend`)),
      ],
    };
  },
};

/** nginx dials a socket while the backend listens on TCP, or the reverse: make nginx dial what the backend listens on. */
const socketTcpMismatch: Planner = {
  needs: ['upstream.kind', 'upstream.place', 'upstream.target', 'backend.listenInstead', 'nginx.config', 'nginx.test', 'nginx.reload', 'nginx.workerUser', ...SERVICE],
  plan(facts): FixPlan {
    const instead = need(facts, 'backend.listenInstead');
    const target = need(facts, 'upstream.target');
    const toSocket = need(facts, 'upstream.kind') === 'tcp';
    const address = toSocket ? `unix:${instead}` : instead;
    const pool = poolAt(facts, instead);
    const edit = retargetNginx(facts, address, toSocket ? `the backend listens on the unix socket ${instead}` : `the backend listens on TCP ${instead}`);
    const running = facts['backend.hint']?.pid != null;
    const start = running ? [] : serviceCommands(facts, 'start', `start ${need(facts, 'service.unit')}: it listens at ${instead}`);
    const user = need(facts, 'nginx.workerUser');
    return {
      commands: [...start, ...testAndReload(facts)],
      edits: edit ? [edit] : [],
      notes: [
        ...(edit ? [] : [`Change ${target} to ${address} at ${need(facts, 'upstream.place').file}:${need(facts, 'upstream.place').line}.`]),
        pool
          ? `Or keep nginx as it is and set the pool's listen = ${target.replace(/^unix:/, '')}${where(pool.places.listen)}, then restart php-fpm.`
          : `Or make the backend listen at ${target} again, and restart it.`,
        ...(toSocket
          ? [
              `nginx's workers (${user}) need write permission on ${instead}${pool ? `: php-fpm sets it with listen.owner, listen.group and listen.mode${where(pool.places['listen.mode'] ?? pool.places.listen)}` : ''}.`,
            ]
          : []),
        ...(running ? [] : noManagerNote(facts, 'Start the backend')),
      ],
    };
  },
};

/** Let the worker user through: the backend's own setting (durable), and a stopgap on the socket now. */
const socketPermission: Planner = {
  needs: ['upstream.socket', 'socket.stat', 'socket.blockedPath', 'nginx.workerUser', 'nginx.workerGroups', ...SERVICE],
  plan(facts): FixPlan {
    const socket = need(facts, 'upstream.socket');
    const blocked = need(facts, 'socket.blockedPath');
    const user = need(facts, 'nginx.workerUser');
    const group = need(facts, 'nginx.workerGroups')[0] ?? user;
    if (blocked !== socket) {
      return {
        commands: [{ argv: ['chmod', 'o+x', '--', blocked], why: `let every user, ${user} included, pass through ${blocked} (search only, no listing)`, durable: true }],
        edits: [],
        notes: [`Or put ${user} in the group of ${blocked} and use g+x instead.`],
      };
    }
    const stopgap: PlannedCommand[] = [
      { argv: ['chgrp', group, '--', socket], why: `right now: give the socket to ${user}'s group ${group} (undone when the backend creates the socket again)`, durable: false },
      { argv: ['chmod', 'g+rw', '--', socket], why: 'right now: let that group connect (undone when the backend restarts)', durable: false },
    ];
    const pool = poolAt(facts, socket);
    if (pool) {
      const owner = pool.values.user ?? user;
      const edits = poolEdits(
        pool,
        { 'listen.owner': owner, 'listen.group': group, 'listen.mode': '0660' },
        `php-fpm creates ${socket} owned by ${owner}:${group}, mode 0660: ${user} may connect through its group`,
      );
      const restart = serviceCommands(facts, 'restart', `restart ${need(facts, 'service.unit')}: php-fpm sets a socket's owner and mode only when it creates it, and a reload keeps the old socket`);
      return {
        commands: [...stopgap, ...restart],
        edits,
        notes: [
          `The durable fix is pool ${pool.name}'s own setting${where(pool.section ?? undefined)}: listen.owner, listen.group and listen.mode decide who may open the socket each time php-fpm creates it.`,
          ...(edits.length ? [] : [`Set listen.owner = ${owner}, listen.group = ${group}, listen.mode = 0660 in pool ${pool.name}.`]),
          ...(restart.length ? [] : noManagerNote(facts, 'Restart php-fpm')),
          ...(group === user ? [] : [`Or add ${user} to the socket's group instead of changing the pool.`]),
        ],
      };
    }
    const settings = facts['backend.settings'];
    if (settings) return backendSocketFix(facts, settings, stopgap, user, group);
    const restart = facts['service.restart']?.length ? ` and restart it (${facts['service.restart'].join(' ')})` : '';
    return {
      commands: stopgap,
      edits: [],
      notes: [
        'These two commands work at once, but the backend creates its socket again when it restarts.',
        `The durable fix is in the backend's own config: create the socket with group ${group} and mode 0660 (a umask of 007, or its socket-mode setting)${restart}.`,
      ],
    };
  },
};

/** Restart the backend so it reads its changed definition: supervisord only through `update NAME`, systemd after a daemon-reload. */
export function backendRestart(facts: KnownFacts, why: string): PlannedCommand[] {
  const update = supervisorUpdate(facts);
  if (update) return [{ argv: update, why, durable: true }];
  const unitChanged = facts['backend.settings']?.definedBy === 'systemd' && facts['service.manager'] === 'systemd';
  const reload = unitChanged ? [{ argv: ['systemctl', 'daemon-reload'], why: 'systemd reads a changed unit file only on daemon-reload', durable: true }] : [];
  return [...reload, ...serviceCommands(facts, 'restart', why)];
}

/** gunicorn's umask and group, or uwsgi's chmod-socket and chown-socket: the backend creates its socket open to nginx's workers each time. */
function backendSocketFix(facts: KnownFacts, settings: BackendSettings, stopgap: PlannedCommand[], user: string, group: string): FixPlan {
  const socket = need(facts, 'upstream.socket');
  const gunicorn = settings.program === 'gunicorn';
  const wanted: Partial<Record<BackendSetting, string>> = gunicorn ? { umask: '007', group } : { 'chmod-socket': '660', 'chown-socket': `${user}:${group}` };
  const words = gunicorn ? `gunicorn creates ${socket} with group ${group} and umask 007 (mode 770)` : `uwsgi creates ${socket} owned by ${user}:${group}, mode 660`;
  const edits = backendEdits(settings, wanted, `${words}: ${user} may connect each time it starts`);
  const restart = backendRestart(facts, `restart ${need(facts, 'service.unit')}: ${settings.program} sets its socket's owner and mode only when it creates it`);
  return {
    commands: [...stopgap, ...restart],
    edits,
    notes: [
      `The durable fix is ${settings.program}'s own setting in ${settings.file}:${settings.anchor.line}; the chgrp and chmod above only help until it creates the socket again.`,
      ...(restart.length ? [] : noManagerNote(facts, `Restart ${settings.program}`)),
    ],
  };
}

/** Start what should be listening, with the tool that manages it here. */
const startBackend: Planner = {
  needs: ['upstream.target', ...SERVICE],
  plan(facts): FixPlan {
    const target = need(facts, 'upstream.target');
    const pool = facts['fpm.pool'];
    const running = facts['backend.hint']?.pid != null;
    const unit = need(facts, 'service.unit');
    const commands = running ? serviceCommands(facts, 'restart', `${unit} runs but does not listen at ${target}: a restart makes it listen again`) : serviceCommands(facts, 'start', `start ${unit}`);
    return {
      commands: pool?.rejected ? [] : commands,
      edits: [],
      notes: [
        ...rejectedNote(pool ?? null, commands),
        ...(facts['backend.box'] ? [`Run these on ${facts['backend.box']}, the backend's own box, not on nginx's.`] : []),
        ...noManagerNote(facts, `Start the program that should listen at ${target}`),
        ...(pool ? fpmLog(pool) : []),
        whyStoppedNote(facts),
      ],
    };
  },
};

export const SOCKET_PLANNERS: Record<string, Planner> = {
  'socket-missing': socketMissing,
  'socket-path': socketPath,
  'socket-tcp-mismatch': socketTcpMismatch,
  'socket-permission': socketPermission,
  'start-backend': startBackend,
};
