import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkById } from '../../../src/checks/index.js';
import type { Check } from '../../../src/checks/check.js';
import { startSession, type Session } from '../../../src/engine/session.js';
import type { Flow, FlowNode } from '../../../src/flow/schema.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { commandsAhead, firstCommands, lookAhead } from '../../../src/runner/look-ahead.js';
import { loadFlow } from '../../../src/flow-files/shipped.js';
import { NGINX_PROBE } from '../../../src/system/nginx-probe.js';

const step = (id: string, check: string, on: Record<string, string>, on_host?: 'backend'): FlowNode => ({ kind: 'step', id, title: id, why: id, check, on, ...(on_host ? { on_host } : {}) });
const end = (id: string): FlowNode => ({ kind: 'end', id, title: id, why: id, end: 'escalate' });

function check(id: string, fields: Partial<Check>): Check {
  return { id, guide: 'error-log', outcomes: ['a', 'b'], needs: [], learns: [], plan: () => [], interpret: () => ({ outcome: 'a', facts: {}, evidence: [], summary: '' }), ...fields };
}

/** here -> (a: listening, b: socket) ; listening -> service ; socket -> done */
const FLOW: Flow = {
  id: 't',
  title: 't',
  start: 'here',
  file: 't.yaml',
  lines: new Map(),
  nodes: {
    here: step('here', 'here', { a: 'listening', b: 'socket' }),
    listening: step('listening', 'listening', { a: 'service', b: 'done' }, 'backend'),
    socket: step('socket', 'socket', { a: 'done', b: 'done' }),
    service: step('service', 'service', { a: 'done', b: 'done' }),
    done: end('done'),
  },
};

const CHECKS: Record<string, Check> = {
  here: check('here', { plan: () => [{ argv: ['ss', '-Hltnxp'] }] }),
  listening: check('listening', { needs: ['upstream.port'], early: 'first-round', plan: (f) => [{ argv: ['ss', '-Hltnxp'] }, { argv: ['probe', String(f['upstream.port'])] }] }),
  socket: check('socket', { needs: ['upstream.socket'], early: 'first-round', plan: () => [{ argv: ['stat', 'sock'] }] }),
  service: check('service', { needs: ['backend.hint'], early: (f) => (f['upstream.port'] ? [{ argv: ['ls', '/etc/init.d'], on: 'backend' }] : []), plan: () => [{ argv: ['never', 'early'] }] }),
};
const byId = (id: string) => CHECKS[id] as Check;

const session = (inputs: Session['inputs']): Session => startSession(FLOW, inputs);

/** What the route has learned of a request proxied to a TCP backend, before its error line is read. */
const TCP_ROUTE: Session['inputs'] = {
  'upstream.host': '127.0.0.1',
  'upstream.port': 8080,
  'upstream.target': '127.0.0.1:8080',
  'upstream.module': 'proxy',
  'upstream.scheme': 'http',
  'nginx.masterPid': 10,
  'nginx.config': parseDump('# configuration file /etc/nginx/nginx.conf:\nevents {}\n'),
  'request.path': '/',
  'request.hostHeader': 'shop.test',
};

describe('look-ahead: what steps ahead may run while this one does', () => {
  it('the first round of steps ahead whose facts are known, each once, and where it runs', () => {
    const ahead = commandsAhead(session({ 'upstream.port': 8080 }), byId);
    expect(ahead).toEqual([
      // The backend box's ss: the current step's ss is nginx's box's (the same box only when the backend is local).
      { spec: { argv: ['ss', '-Hltnxp'] }, onBackend: true },
      { spec: { argv: ['probe', '8080'] }, onBackend: true },
      { spec: { argv: ['ls', '/etc/init.d'], on: 'backend' }, onBackend: false },
    ]);
  });

  it("the current step's own first round is never asked twice", () => {
    const proxyFlow: Flow = { ...FLOW, nodes: { ...FLOW.nodes, listening: step('listening', 'listening', { a: 'service', b: 'done' }) } };
    const argvs = commandsAhead(startSession(proxyFlow, { 'upstream.port': 8080 }), byId).map((c) => c.spec.argv.join(' '));
    expect(argvs).toEqual(['probe 8080', 'ls /etc/init.d']);
  });

  it('nothing for a step whose needs are not known yet, nor for a check that does not opt in', () => {
    expect(commandsAhead(session({}), byId)).toEqual([]);
    const noEarly = { ...CHECKS, listening: { ...(CHECKS.listening as Check), early: undefined } } as Record<string, Check>;
    expect(commandsAhead(session({ 'upstream.port': 8080 }), (id) => noEarly[id] as Check)).toEqual([{ spec: { argv: ['ls', '/etc/init.d'], on: 'backend' }, onBackend: false }]);
  });

  it('a plan that throws for a fact it lacks gives nothing rather than stopping the step', () => {
    const throwing: Record<string, Check> = {
      ...CHECKS,
      socket: check('socket', {
        early: 'first-round',
        plan: () => {
          throw new Error('fact upstream.socket is not known yet');
        },
      }),
    };
    expect(() => commandsAhead(session({}), (id) => throwing[id] as Check)).not.toThrow();
  });

  it("a check whose every round reads is followed round after round: once, on its step's box, not for the step running now", () => {
    const chained = {
      ...CHECKS,
      here: check('here', { early: 'every-round', plan: () => [{ argv: ['ss', '-Hltnxp'] }] }),
      listening: { ...(CHECKS.listening as Check), early: 'every-round' },
      socket: { ...(CHECKS.socket as Check), early: 'every-round' },
    } as Record<string, Check>;
    const { chains, commands } = lookAhead(session({ 'upstream.port': 8080 }), (id) => chained[id] as Check);
    // socket's need (upstream.socket) is unknown: not followed.
    expect(chains.map((c) => [c.check.id, c.onBackend])).toEqual([['listening', true]]);
    expect(commands.map((c) => c.spec.argv.join(' '))).toContain('probe 8080');
  });

  it('aheadNeeds: a check may go ahead on fewer facts than its step needs, or wait for more; its own step still asks by its needs', () => {
    const sooner = { ...CHECKS, socket: { ...(CHECKS.socket as Check), aheadNeeds: [] } } as Record<string, Check>;
    expect(commandsAhead(session({}), (id) => sooner[id] as Check).map((c) => c.spec.argv.join(' '))).toEqual(['stat sock']);
    const later = { ...CHECKS, listening: { ...(CHECKS.listening as Check), early: 'every-round', aheadNeeds: ['upstream.port', 'error.latest'] } } as Record<string, Check>;
    const before = lookAhead(session({ 'upstream.port': 8080 }), (id) => later[id] as Check);
    expect(before.chains).toEqual([]);
    expect(before.commands.map((c) => c.spec.argv.join(' '))).not.toContain('probe 8080');
    const error = { time: '2026/12/06 23:29:15', level: 'error', message: 'connect() failed', line: '' } as never;
    const after = lookAhead(session({ 'upstream.port': 8080, 'error.latest': error }), (id) => later[id] as Check);
    expect(after.chains.map((c) => c.check.id)).toEqual(['listening']);
    // The step running now asks its own first round by its needs, whatever its aheadNeeds say.
    const here = { ...CHECKS, here: check('here', { aheadNeeds: ['upstream.port'], plan: () => [{ argv: ['ss', '-Hltnxp'] }] }) } as Record<string, Check>;
    expect(firstCommands(session({}), (id) => here[id] as Check)).toEqual([{ argv: ['ss', '-Hltnxp'] }]);
  });

  it("the shipped flow: a crashed backend's processes and logs are looked at ahead only once nginx's error line (after the replay) is known", async () => {
    const flow = await loadFlow(join(process.cwd(), 'flows', 'nginx-502.yaml'));
    const chains = (more: Session['inputs']) =>
      lookAhead(startSession({ ...flow, start: 'backend-listening' }, { ...TCP_ROUTE, 'upstream.kind': 'tcp', ...more }), checkById).chains.map((c) => c.check.id);
    expect(chains({})).not.toContain('backend.crash');
    const error = { time: '2026/12/06 23:29:15', level: 'error', message: 'connect() failed (111: Connection refused) while connecting to upstream', line: '' } as never;
    expect(chains({ 'error.latest': error })).toContain('backend.crash');
  });

  it('the shipped flow: from the error-log step of a TCP backend, the listening and service probes go ahead', async () => {
    const flow = await loadFlow(join(process.cwd(), 'flows', 'nginx-502.yaml'));
    const argvs = commandsAhead(startSession({ ...flow, start: 'error-log' }, TCP_ROUTE), checkById).map((c) => c.spec.argv.join(' '));
    expect(argvs).toContain('ss -Hltnxp');
    expect(argvs.some((a) => a.includes('127.0.0.1') && a.includes('8080'))).toBe(true);
    expect(argvs).toContain('stat -c %F -- /run/systemd/system');
    // Nothing that sends a request to the site goes ahead.
    expect(argvs.filter((a) => a.startsWith('curl'))).toEqual([]);
  });
});

describe("first commands: what goes to nginx's box with the login", () => {
  it("the first step's first round, when it runs on nginx's box and its facts are known", () => {
    expect(firstCommands(session({}), byId)).toEqual([{ argv: ['ss', '-Hltnxp'] }]);
    const needy = { ...CHECKS, here: check('here', { needs: ['upstream.port'], plan: () => [{ argv: ['ss', '-Hltnxp'] }] }) } as Record<string, Check>;
    expect(firstCommands(session({}), (id) => needy[id] as Check)).toEqual([]);
  });

  it("nothing when the first step looks at the backend's box: which box that is is not known at login", () => {
    const onBackend: Flow = { ...FLOW, nodes: { ...FLOW.nodes, here: step('here', 'here', { a: 'done', b: 'done' }, 'backend') } };
    expect(firstCommands(startSession(onBackend, {}), byId)).toEqual([]);
    const asksBackend = { ...CHECKS, here: check('here', { plan: () => [{ argv: ['ps'] }, { argv: ['ss'], on: 'backend' }] }) } as Record<string, Check>;
    expect(firstCommands(session({}), (id) => asksBackend[id] as Check)).toEqual([{ argv: ['ps'] }]);
  });

  it("the shipped flow asks for the processes and listeners of nginx's box at login, and the nginx probe", async () => {
    const flow = await loadFlow(join(process.cwd(), 'flows', 'nginx-502.yaml'));
    const first = firstCommands(startSession(flow, { 'request.url': 'http://127.0.0.1/' }), checkById);
    expect(first.slice(0, 2).map((c) => c.argv.join(' '))).toEqual(['ps -eo pid=,ppid=,user:32=,args=', 'ss -Hltnxp']);
    expect(first.slice(2)).toEqual([NGINX_PROBE]);
  });
});
