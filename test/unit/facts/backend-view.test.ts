import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendConfig } from '../../../src/checks/backend-config.js';
import { backendCrash } from '../../../src/checks/backend-crash.js';
import { backendListening } from '../../../src/checks/backend-listening.js';
import { backendReach } from '../../../src/checks/backend-reach.js';
import type { Check } from '../../../src/checks/check.js';
import { serviceManager } from '../../../src/checks/service-manager.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { CONNECTION_PLANNERS } from '../../../src/fixes/planners/connection.js';
import { NETWORK_PLANNERS } from '../../../src/fixes/planners/network.js';
import { SOCKET_PLANNERS } from '../../../src/fixes/planners/sockets.js';
import { HostSet, type SessionHost } from '../../../src/hosts/host-set.js';
import { NO_BACKEND_VIEW, type CommandResult, type CommandSpec, type Host } from '../../../src/hosts/host.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { runCheck } from '../../../src/runner/run-check.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
const text = (path: string) => readFileSync(new URL(path, FIXTURES), 'utf8');
type Run = { stdout: string; stderr: string; code: number | null; ms: number };
const json = (path: string): Run => {
  const { stdout, stderr, code, ms } = JSON.parse(text(path)) as Run;
  return { stdout, stderr, code, ms };
};

/** A box that answers with real captured output, keyed by the start of the command; records what it was asked. */
class CannedBox implements Host {
  readonly asked: string[][] = [];
  constructor(
    readonly label: string,
    private readonly answers: [prefix: string, run: Run][],
  ) {}
  async run(spec: CommandSpec): Promise<CommandResult> {
    this.asked.push(spec.argv);
    const line = spec.argv.join(' ');
    const hit = this.answers.find(([prefix]) => line.startsWith(prefix));
    return hit ? { ...hit[1], argv: spec.argv } : { argv: spec.argv, stdout: '', stderr: `${spec.argv[0]}: not in this test`, code: 1, ms: 1 };
  }
  async close(): Promise<void> {}
}

const ipAddr = (file: string): [string, Run] => ['ip -o addr show', { stdout: text(`ip-addr/${file}`), stderr: '', code: 0, ms: 1 }];
const web = (more: [string, Run][] = []) => new CannedBox('root@web', [ipAddr('ip-o-addr-show-host.txt'), ['timeout -k 1', json('system/tcp-probe-refused-127.0.0.1.json')], ...more]);
const app = (more: [string, Run][] = []) => new CannedBox('root@app', [ipAddr('ip-o-addr-show-netns-veth.txt'), ...more]);
const set = (...members: [string, Host][]) => new HostSet(members.map(([role, host]): SessionHost => ({ role, host })));

/** nginx on web dials the app box's 10.250.99.2:8080 (the address its veth holds in the capture). */
function facts(address = '10.250.99.2', extra: KnownFacts = {}): KnownFacts {
  return {
    'nginx.config': parseDump(`# configuration file /etc/nginx/nginx.conf:\nhttp { server { listen 80; location / { proxy_pass http://${address}:8080; } } }\n`),
    'nginx.masterPid': 1,
    'upstream.kind': 'tcp',
    'upstream.target': `${address}:8080`,
    'upstream.host': address,
    'upstream.port': 8080,
    'upstream.module': 'proxy',
    'upstream.scheme': 'http',
    'request.path': '/',
    'request.hostHeader': 'shop.test',
    ...extra,
  };
}

const asked = (box: CannedBox, program: string) => box.asked.filter((a) => a[0] === program).map((a) => a.join(' '));
const evidenceText = (run: Awaited<ReturnType<typeof runCheck>>) => JSON.stringify(run.result.evidence);

describe('backend commands run on the backend box', () => {
  it('bind-address: the app box itself shows the backend on its own 127.0.0.1 only; nginx view stays on web', async () => {
    const proxy = web();
    const backend = app([['ss -Hltnxp', json('hosts/ss-app-box-loopback-only.json')]]);
    const run = await runCheck(backendListening, facts(), set(['proxy', proxy], ['app', backend]));
    expect(run.result.outcome).toBe('other-address');
    expect(run.result.facts['backend.listenAt']).toBe('127.0.0.1:8080');
    expect(asked(proxy, 'timeout')).toHaveLength(1);
    expect(asked(proxy, 'ss')).toEqual([]);
    expect(asked(backend, 'ss')).toEqual(['ss -Hltnxp']);
    expect(asked(backend, 'ps')).toHaveLength(1);
    expect(run.hosts).toEqual(['root@web', 'root@app']);
    const ss = run.result.evidence.find((e) => e.command === 'ss -Hltnxp');
    expect(ss).toMatchObject({ host: 'root@app', lines: ['127.0.0.1:8080 python3 pid 4448'] });
  });

  it('not this: nothing listens on the app box either, so the backend is down', async () => {
    const backend = app([['ss -Hltnxp', json('hosts/ss-app-box-nothing-listens.json')]]);
    const run = await runCheck(backendListening, facts(), set(['proxy', web()], ['app', backend]));
    expect(run.result.outcome).toBe('down');
    expect(evidenceText(run)).toContain('no TCP listeners at all');
    expect(evidenceText(run)).not.toContain('not examined');
  });

  it("no host owns the address: the backend's box is not examined, and says so; no other port or address is guessed", async () => {
    // The web box's own listeners must not stand in for the backend's: a python3 on 0.0.0.0 would accept 10.250.99.2.
    const proxy = web([['ss -Hltnxp', { stdout: text('system/ss-python-tcp-unix-nginx.txt'), stderr: '', code: 0, ms: 1 }]]);
    const run = await runCheck(backendListening, facts(), set(['proxy', proxy]));
    expect(run.result.outcome).toBe('down');
    expect(asked(proxy, 'ss')).toEqual([]);
    expect(run.commands.filter((r) => r.failure === NO_BACKEND_VIEW).map((r) => r.argv[0])).toEqual(['ss', 'ps']);
    expect(evidenceText(run)).toContain("the backend's box (the one that owns 10.250.99.2:8080) was not examined");
    expect(run.result.summary).toContain('its box was not examined');
  });

  it('an address no box owns: the person picks the box, once for the whole session', async () => {
    const backend = app([['ss -Hltnxp', json('hosts/ss-app-box-nothing-listens.json')]]);
    const picked: string[] = [];
    const hosts = new HostSet(
      [
        { role: 'proxy', host: web() },
        { role: 'app', host: backend },
      ],
      async (address, others) => (picked.push(address), others[0] ?? null),
    );
    await runCheck(backendListening, facts('10.250.99.3'), hosts);
    // Asked afresh (not from the session's cache), the second run still goes to the picked box.
    hosts.cache.clear();
    await runCheck(backendListening, facts('10.250.99.3'), hosts);
    expect(picked).toEqual(['10.250.99.3']);
    expect(asked(backend, 'ss')).toHaveLength(2);
  });

  it("the same box: nginx's own pids are left out of the candidates; on another box the same pid is the backend", () => {
    const ss = json('hosts/ss-app-box-loopback-only.json');
    const probe = json('system/tcp-probe-refused-127.0.0.1.json');
    // The capture's python3 has pid 4448: as nginx's master on one box, it is nginx; on another box it is not.
    const f = facts('10.250.99.2', { 'nginx.masterPid': 4448 });
    const results = (probeHost: string, ssHost: string): CommandResult[] => [
      { argv: ['timeout'], ...probe, host: probeHost },
      { argv: ['ss', '-Hltnxp'], ...ss, host: ssHost },
      { argv: ['ps', '-eo', 'pid=,ppid=,user:32=,args='], stdout: '', stderr: '', code: 0, ms: 1, host: ssHost },
    ];
    expect(backendListening.interpret(f, results('root@web', 'root@web')).outcome).toBe('down');
    expect(backendListening.interpret(f, results('root@web', 'root@app')).outcome).toBe('other-address');
  });

  it('unix sockets are always on nginx box, even with a backend host in the session', async () => {
    const proxy = web([['ss -Hltnxp', { stdout: text('system/ss-python-tcp-unix-nginx.txt'), stderr: '', code: 0, ms: 1 }]]);
    const backend = app();
    const f: KnownFacts = { ...facts(), 'upstream.kind': 'unix', 'upstream.socket': '/tmp/bgcap/my sock.sock', 'upstream.target': 'unix:/tmp/bgcap/my sock.sock' };
    const run = await runCheck(backendConfig, f, set(['proxy', proxy], ['app', backend]));
    expect(asked(proxy, 'ss')).toEqual(['ss -Hltnxp']);
    expect(backend.asked.filter((a) => a[0] !== 'ip')).toEqual([]);
    expect(run.result.outcome).toBe('same');
  });
});

describe("backend.reach: nginx's box and the backend's box each show their own firewall", () => {
  const reachFacts = (address: string): KnownFacts => ({
    ...facts(address),
    'error.kind': 'connect-timeout',
    'request.port': 80,
    'request.url': 'http://shop.test/',
    'nginx.config': parseDump(
      `# configuration file /etc/nginx/nginx.conf:\nhttp { server { listen 80; server_name shop.test; location / { proxy_pass http://${address}:8080; proxy_connect_timeout 1s; } } }\n`,
    ),
  });
  const drop = json('network/tcp-probe-firewall-drop.json');

  it("the app box's own rules name the port: shown from that box, learned, and named in the fix", async () => {
    const proxy = new CannedBox('root@web', [
      ipAddr('ip-o-addr-show-host.txt'),
      ['timeout -k 1', drop],
      ['nft list ruleset', json('network/nft-ruleset-empty.json')],
      ['ip route', json('network/ip-route-get-onlink.json')],
    ]);
    const backend = app([
      ['nft list ruleset', json('network/nft-ruleset-backend-drop-reject.json')],
      ['ss -Hlntx', json('hosts/ss-queues-app-box-loopback-only.json')],
    ]);
    const run = await runCheck(backendReach, reachFacts('10.250.99.2'), set(['proxy', proxy], ['app', backend]));
    expect(run.result.outcome).toBe('timeout');
    expect(asked(proxy, 'nft')).toHaveLength(1);
    expect(asked(backend, 'nft')).toHaveLength(1);
    expect(asked(backend, 'ss')).toEqual(['ss -Hlntx']);
    const nft = run.result.evidence.filter((e) => e.command === 'nft list ruleset');
    expect(nft.map((e) => e.host)).toEqual(['root@web', 'root@app']);
    expect(nft[1]?.lines.join('\n')).toContain('tcp dport 8080 drop');
    expect(run.result.facts['reach.blocking']).toEqual([]);
    expect(run.result.facts['reach.backendBlocking']?.join('\n')).toContain('tcp dport 8080 drop');
    const plan = NETWORK_PLANNERS['firewall-path']!.plan({ ...reachFacts('10.250.99.2'), ...run.result.facts });
    expect(plan.notes.join('\n')).toContain("The backend's own box has these rules for it (nft list ruleset there): ");
  });

  it('not this: a local backend is one box; its ruleset is shown once', () => {
    const empty = json('network/nft-ruleset-empty.json');
    const f = reachFacts('127.0.0.1');
    const results: CommandResult[] = [
      { argv: backendReach.plan(f, [])[0]!.argv, ...drop, host: 'local' },
      { argv: ['ss', '-Hlntx'], stdout: '', stderr: '', code: 0, ms: 1, host: 'local' },
      { argv: ['nft', 'list', 'ruleset'], ...empty, host: 'local' },
      { argv: ['nft', 'list', 'ruleset'], ...empty, host: 'local' },
    ];
    const result = backendReach.interpret(f, results);
    expect(result.evidence.filter((e) => e.command === 'nft list ruleset')).toHaveLength(1);
    expect(result.facts['reach.backendBlocking']).toBeUndefined();
  });

  it("no host has the backend's box: the connect still decides, and the evidence says what was not seen", async () => {
    const proxy = new CannedBox('root@web', [
      ipAddr('ip-o-addr-show-host.txt'),
      ['timeout -k 1', drop],
      ['nft list ruleset', json('network/nft-ruleset-empty.json')],
      ['ip route', json('network/ip-route-get-onlink.json')],
    ]);
    const run = await runCheck(backendReach, reachFacts('10.250.99.2'), set(['proxy', proxy]));
    expect(run.result.outcome).toBe('timeout');
    expect(evidenceText(run)).toContain("so what the backend's accept queue and its own firewall hold is not known");
  });
});

describe('checks of the backend box answer honestly when it was not examined', () => {
  const unseen = (argv: string[]): CommandResult => ({ argv, stdout: '', stderr: '', code: null, ms: 0, failure: NO_BACKEND_VIEW });
  const walk = (check: Check, f: KnownFacts) => {
    const done: CommandResult[] = [];
    for (let round = 0; round < 6; round++) {
      const batch = check.plan(f, done);
      if (!batch.length) break;
      expect(batch.every((c) => c.on === 'backend')).toBe(true);
      done.push(...batch.map((c) => unseen(c.argv)));
    }
    return check.interpret(f, done);
  };

  it('service.manager: unknown, never "no systemd running"', () => {
    const result = walk(serviceManager, { ...facts(), 'backend.hint': { pid: null, binary: null, conf: null, names: [], label: 'the backend' } });
    expect(result.outcome).toBe('unknown');
    expect(JSON.stringify(result.evidence)).toContain('was not examined');
    expect(JSON.stringify(result.evidence)).not.toContain('no systemd');
  });

  it('backend.config: unknown, not "no php-fpm is installed"', () => {
    const result = walk(backendConfig, { ...facts(), 'upstream.module': 'fastcgi' });
    expect(result.outcome).toBe('unknown');
    expect(result.summary).toContain('its box was not examined');
    expect(JSON.stringify(result.evidence)).not.toContain('no php-fpm');
  });

  it('backend.crash: no sign, because nothing could be looked at', () => {
    const result = walk(backendCrash, {
      ...facts(),
      'error.latest': { time: '2024/05/01 10:00:00', level: 'error', message: 'upstream prematurely closed connection', upstream: 'http://10.250.99.2:8080/' } as never,
    });
    expect(result.outcome).toBe('no-sign');
    expect(result.summary).toContain("the backend's box was not examined");
  });
});

describe('fixes for a backend on another box', () => {
  const conf = '# configuration file /etc/nginx/nginx.conf:\nhttp { server { listen 80; location / { proxy_pass http://10.250.99.2:8080; } } }\n';
  const retarget = (extra: KnownFacts): KnownFacts => ({
    ...facts(),
    'nginx.config': parseDump(conf),
    'upstream.place': { file: '/etc/nginx/nginx.conf', line: 1 },
    'nginx.test': ['nginx', '-t'],
    'nginx.reload': ['nginx', '-s', 'reload'],
    'backend.listenAt': '127.0.0.1:8080',
    'backend.port': 8080,
    'backend.process': 'python3',
    ...extra,
  });

  it("bind-address on the app box's own loopback: nginx is not pointed at 127.0.0.1; the backend must listen where nginx dials", async () => {
    // What backend-listening learns when app's own ss shows the loopback-only listener.
    const backend = app([['ss -Hltnxp', json('hosts/ss-app-box-loopback-only.json')]]);
    const run = await runCheck(backendListening, facts(), set(['proxy', web()], ['app', backend]));
    expect(run.result.facts['backend.box']).toBe('root@app');
    const plan = CONNECTION_PLANNERS['retarget-upstream']!.plan(retarget(run.result.facts));
    expect(plan.edits).toEqual([]);
    expect(plan.commands).toEqual([]);
    expect(plan.notes.join('\n')).toContain('Make the backend listen on 10.250.99.2:8080 (or on all addresses, port 8080) in its own settings on root@app');
  });

  it("not this: the same listener on nginx's own box is one edit of proxy_pass", () => {
    const plan = CONNECTION_PLANNERS['retarget-upstream']!.plan(retarget({ 'backend.listenAt': '127.0.0.1:8080' }));
    expect(plan.edits).toHaveLength(1);
    expect(plan.edits[0]?.after).toBe('proxy_pass http://127.0.0.1:8080;');
  });

  it('start-backend says which box its commands are for', () => {
    const service: KnownFacts = { 'service.manager': 'unknown', 'service.unit': 'the backend', 'service.start': [], 'service.stop': [], 'service.restart': [], 'service.reload': [] };
    const remote = SOCKET_PLANNERS['start-backend']!.plan({ ...facts(), ...service, 'backend.box': 'root@app' });
    expect(remote.notes[0]).toBe("Run these on root@app, the backend's own box, not on nginx's.");
    const local = SOCKET_PLANNERS['start-backend']!.plan({ ...facts(), ...service });
    expect(local.notes.join('\n')).not.toContain('own box');
  });
});
