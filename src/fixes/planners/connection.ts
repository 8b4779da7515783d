import { need } from '../../checks/check.js';
import { bare } from '../../checks/candidates.js';
import type { KnownFacts } from '../../facts.js';
import { directiveAt, directiveText, testAndReload } from '../nginx-edit.js';
import type { FixPlan, Planner } from '../plan.js';

function hostPort(host: string, port: number): string {
  const plain = bare(host);
  return `${plain.includes(':') ? `[${plain}]` : plain}:${port}`;
}

/** Point nginx at where the backend really listens (wrong port, or another address or family). */
const retargetUpstream: Planner = {
  needs: ['nginx.config', 'upstream.place', 'upstream.target', 'upstream.host', 'upstream.port', 'backend.listenAt', 'backend.port', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const place = need(facts, 'upstream.place');
    const target = need(facts, 'upstream.target');
    const directive = directiveAt(facts, place, (d) => d.args.some((arg) => arg.includes(target)));
    const listenAt = need(facts, 'backend.listenAt');
    const listenHost = listenAt.slice(0, listenAt.lastIndexOf(':'));
    const wildcard = ['0.0.0.0', '*', '[::]', '::'].includes(listenHost);
    const dialed = hostPort(need(facts, 'upstream.host'), need(facts, 'upstream.port'));
    const wanted = hostPort(wildcard ? need(facts, 'upstream.host') : listenHost, need(facts, 'backend.port'));
    const notes = [`Or change the backend back to listen on ${dialed}; then nginx needs no change.`];
    if (!directive) return { commands: testAndReload(facts), edits: [], notes: [`Change ${dialed} to ${wanted} at ${place.file}:${place.line}.`, ...notes] };
    const after = directive.args.map((arg) => (arg.includes(dialed) ? arg.replace(dialed, wanted) : arg.replace(target, wanted)));
    return {
      commands: testAndReload(facts),
      edits: [{ file: place.file, line: place.line, before: directiveText(directive.directive, directive.args), after: directiveText(directive.directive, after), why: `the backend listens on ${listenAt}` }],
      notes,
    };
  },
};

/** Give the location enough time for the backend, and say that it may hide a slow backend. */
const raiseReadTimeout: Planner = {
  needs: ['nginx.config', 'timeout.directive', 'timeout.suggested', 'route.location', 'nginx.test', 'nginx.reload'],
  plan(facts): FixPlan {
    const name = need(facts, 'timeout.directive');
    const value = need(facts, 'timeout.suggested');
    const existing = facts['timeout.place'];
    const place = existing ?? need(facts, 'route.location');
    const directive = directiveAt(facts, place, (d) => d.directive === (existing ? name : 'location'));
    const opening = directive ? `${[directive.directive, ...directive.args].join(' ')} {` : '';
    const setting = directiveText(name, [value]);
    const edit = existing
      ? { file: place.file, line: place.line, before: directive ? directiveText(directive.directive, directive.args) : '', after: setting, why: 'the backend needs longer than the current timeout' }
      : { file: place.file, line: place.line, before: opening, after: `${opening}\n    ${setting}`, why: 'set the read timeout for this location only' };
    return { commands: testAndReload(facts), edits: [edit], notes: [] };
  },
};

/** Start what should be listening. Which service that is depends on the box (see the service checks). */
const startBackend: Planner = {
  needs: ['upstream.target'],
  plan(facts: KnownFacts): FixPlan {
    const target = need(facts, 'upstream.target');
    const unit = facts['service.unit'];
    const manager = facts['service.manager'];
    const commands = unit && manager === 'systemd' ? [{ argv: ['systemctl', 'start', unit], why: `start ${unit}`, durable: false }] : [];
    return {
      commands,
      edits: [],
      notes: [
        ...(commands.length ? [] : [`Start the program that should listen at ${target} with the tool that manages it (systemctl, service, supervisorctl, pm2, docker).`]),
        'Then read its log for why it stopped: a crash, an out-of-memory kill (dmesg | grep -i kill), a failed deploy.',
      ],
    };
  },
};

/** Let the worker user through: a stopgap on the socket now, and the durable change in the backend. */
const socketPermission: Planner = {
  needs: ['upstream.socket', 'socket.stat', 'socket.blockedPath', 'nginx.workerUser', 'nginx.workerGroups'],
  plan(facts): FixPlan {
    const socket = need(facts, 'upstream.socket');
    const blocked = need(facts, 'socket.blockedPath');
    const user = need(facts, 'nginx.workerUser');
    const group = need(facts, 'nginx.workerGroups')[0] ?? user;
    if (blocked !== socket) {
      return {
        commands: [{ argv: ['chmod', 'o+x', blocked], why: `let every user, ${user} included, pass through ${blocked} (search only, no listing)`, durable: true }],
        edits: [],
        notes: [`Or put ${user} in the group of ${blocked} and use g+x instead.`],
      };
    }
    return {
      commands: [
        { argv: ['chgrp', group, socket], why: `give the socket to ${user}'s group ${group}`, durable: false },
        { argv: ['chmod', 'g+rw', socket], why: 'let that group connect', durable: false },
      ],
      edits: [],
      notes: [
        'These two commands work at once, but the backend creates its socket again when it restarts.',
        `The durable fix is in the backend's own config: create the socket with group ${group} and mode 0660 (php-fpm: listen.owner, listen.group and listen.mode in the pool file).`,
      ],
    };
  },
};

/** The socket is gone: the backend that creates it is stopped, or creates it elsewhere. */
const socketMissing: Planner = {
  needs: ['upstream.socket'],
  plan(facts): FixPlan {
    const socket = need(facts, 'upstream.socket');
    const elsewhere = (facts.listeners ?? []).filter((l) => l.netid === 'unix' && l.path && l.path !== socket && l.process && !/nginx/.test(l.process));
    return {
      commands: [],
      edits: [],
      notes: [
        `Start the backend that creates ${socket}, with the tool that manages it (systemctl, service, supervisorctl, pm2).`,
        ...(elsewhere.length ? [`These processes listen on other sockets; if one of them is this backend, make nginx and the backend agree on one path: ${elsewhere.slice(0, 3).map((l) => `${l.path} (${l.process})`).join(', ')}`] : []),
      ],
    };
  },
};

export const CONNECTION_PLANNERS: Record<string, Planner> = {
  'socket-permission': socketPermission,
  'socket-missing': socketMissing,
  'retarget-upstream': retargetUpstream,
  'raise-read-timeout': raiseReadTimeout,
  'start-backend': startBackend,
};
