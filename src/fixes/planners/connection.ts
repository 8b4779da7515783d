import { need } from '../../facts/need.js';
import { bare } from '../../facts/addresses.js';
import { tcpProbeLine } from '../../system/tcp-probe.js';
import { directiveAt, directiveText, testAndReload } from '../nginx-edit.js';
import type { FixPlan, Planner } from '../plan.js';

function hostPort(host: string, port: number): string {
  const plain = bare(host);
  return `${plain.includes(':') ? `[${plain}]` : plain}:${port}`;
}

function isLoopback(host: string): boolean {
  const plain = bare(host);
  return plain === 'localhost' || plain === '::1' || /^127\./.test(plain);
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
    const dialled = hostPort(need(facts, 'upstream.host'), need(facts, 'upstream.port'));
    const wanted = hostPort(wildcard ? need(facts, 'upstream.host') : listenHost, need(facts, 'backend.port'));
    const box = facts['backend.box'];
    if (box && isLoopback(listenHost)) {
      // The backend's own loopback cannot be reached from nginx's box: only the backend can change.
      return {
        commands: [],
        edits: [],
        notes: [
          `On ${box}, ${facts['backend.process'] ?? 'the backend'} listens only on that box's own loopback (${listenAt}); nothing on another box can connect to it, nginx included. Pointing nginx at ${listenAt} would reach nginx's own box instead.`,
          `Make the backend listen on ${dialled} (or on all addresses, port ${need(facts, 'backend.port')}) in its own settings on ${box}, and restart it there. nginx needs no change.`,
          `Check it from nginx's box afterwards: ${tcpProbeLine(bare(need(facts, 'upstream.host')), need(facts, 'upstream.port'), 3)}`,
        ],
      };
    }
    const notes = [`Or change the backend back to listen on ${dialled}; then nginx needs no change.`];
    if (!directive) return { commands: testAndReload(facts), edits: [], notes: [`Change ${dialled} to ${wanted} at ${place.file}:${place.line}.`, ...notes] };
    const after = directive.args.map((arg) => (arg.includes(dialled) ? arg.replace(dialled, wanted) : arg.replace(target, wanted)));
    return {
      commands: testAndReload(facts),
      edits: [
        { file: place.file, line: place.line, before: directiveText(directive.directive, directive.args), after: directiveText(directive.directive, after), why: `the backend listens on ${listenAt}` },
      ],
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

/** The FastCGI read timeout, kept in step with php-fpm's own limit for the pool. */
const raiseFastcgiTimeout: Planner = {
  needs: ['nginx.config', 'timeout.directive', 'timeout.suggested', 'route.location', 'nginx.test', 'nginx.reload', 'fpm.terminateTimeout'],
  plan(facts): FixPlan {
    const base = raiseReadTimeout.plan(facts);
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

export const CONNECTION_PLANNERS: Record<string, Planner> = {
  'retarget-upstream': retargetUpstream,
  'raise-read-timeout': raiseReadTimeout,
  'raise-fastcgi-timeout': raiseFastcgiTimeout,
};
