import { describe, expect, it } from 'vitest';
import { ipNeighCommand, ipRouteGetCommand, parseIpNeigh, parseIpRouteGet, routeAddress, type RouteAnswer } from '../../../src/system/ip-route.js';
import { parseListenQueues, queueFor } from '../../../src/system/listen-queue.js';
import { blockingRules } from '../../../src/system/nft.js';
import { parseHostsFile, parseResolvConf } from '../../../src/system/resolv-conf.js';
import { parseTcpProbe, tcpProbeCommand } from '../../../src/system/tcp-probe.js';
import { asAsked, names, run } from './network-fixture.js';

const ROUTES: Record<string, Partial<RouteAnswer>> = {
  'ip-route-get-onlink': { kind: 'link', dev: 'capa77', src: '10.250.77.1' },
  'ip-route-get-onlink-no-arp': { kind: 'link', dev: 'capa77', src: '10.250.77.1' },
  'ip-route-get-via-gateway': { kind: 'gateway', via: '10.250.77.2', dev: 'capa77', src: '10.250.77.1' },
  'ip-route-get-local-loopback': { kind: 'local', dev: 'lo' },
  'ip-route-get-own-address': { kind: 'local', dev: 'lo' },
  'ip-route-get-ipv6-loopback': { kind: 'local', dev: 'lo' },
  'ip-route-get-network-unreachable': { kind: 'none', reason: 'network-unreachable' },
  'ip-route-get-ipv6-no-route': { kind: 'none', reason: 'network-unreachable' },
  'ip-route-get-unreachable-route': { kind: 'none', reason: 'unreachable-route' },
  'ip-route-get-prohibit-route': { kind: 'none', reason: 'prohibit-route' },
  'ip-route-get-blackhole-route': { kind: 'none', reason: 'blackhole-route' },
  'ip-route-get-name': { kind: 'unknown' },
};

describe('ip route get, on real runs', () => {
  it('every captured run has an expectation', () => {
    expect(names('ip-route-get-')).toEqual(Object.keys(ROUTES).sort());
  });
  for (const [name, expected] of Object.entries(ROUTES)) {
    it(`${name} -> ${expected.kind}${'reason' in expected ? ` (${expected.reason})` : ''}`, () => {
      expect(parseIpRouteGet(run(name))).toMatchObject(expected);
    });
  }
  it('each run is the command ipRouteGetCommand builds', () => {
    for (const name of Object.keys(ROUTES).filter((n) => n !== 'ip-route-get-name')) {
      const argv = asAsked(name).argv;
      expect(argv).toEqual(ipRouteGetCommand(argv[3] as string));
    }
  });
  it('not this: a route that exists does not say no route, even to an address nobody answers', () => {
    expect(parseIpRouteGet(run('ip-route-get-onlink-no-arp')).kind).toBe('link');
  });
  it('only address literals reach ip route get', () => {
    expect(routeAddress('[::1]')).toBe('::1');
    expect(routeAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(routeAddress('backend.test')).toBeNull();
    expect(() => ipRouteGetCommand('-b')).toThrow(RangeError);
    expect(() => ipNeighCommand('backend.test')).toThrow(RangeError);
  });
});

describe('ip neigh', () => {
  it('an address nobody answered ARP for is incomplete', () => {
    expect(parseIpNeigh(run('ip-neigh-failed').stdout)).toEqual({ state: 'incomplete', lladdr: null });
  });
  it('not this: a host that answered (even with an ICMP reject) is reachable', () => {
    expect(parseIpNeigh(run('ip-neigh-reachable').stdout)).toMatchObject({ state: 'reachable' });
    expect(parseIpNeigh('')).toEqual({ state: 'none', lladdr: null });
  });
});

describe('TCP probes across namespaces', () => {
  const EXPECTED: Record<string, string> = {
    'tcp-probe-firewall-drop': 'timeout',
    'tcp-probe-host-prohibited': 'no-route',
    'tcp-probe-tcp-reset': 'refused',
    'tcp-probe-no-arp-answer': 'timeout',
  };
  it('every captured run has an expectation', () => expect(names('tcp-probe-')).toEqual(Object.keys(EXPECTED).sort()));
  for (const [name, outcome] of Object.entries(EXPECTED)) {
    it(`${name} -> ${outcome}`, () => {
      const r = asAsked(name);
      expect(r.argv).toEqual(tcpProbeCommand(r.argv.at(-2) as string, Number(r.argv.at(-1)), 3));
      expect(parseTcpProbe(r)).toBe(outcome);
    });
  }
});

describe('listen queues from ss -Hlntx', () => {
  const queues = parseListenQueues(run('ss-listen-queues').stdout);
  it('reads every LISTEN row, and only those', () => {
    expect(queues).toHaveLength(4);
    expect(queues.every((q) => q.listener.netid === 'unix' || q.listener.port !== null)).toBe(true);
  });
  it('a full TCP queue and a full unix queue', () => {
    expect(queueFor(queues, { ip: '127.0.0.1', port: 9100 })).toMatchObject({ queued: 3, backlog: 2, full: true });
    expect(queueFor(queues, { socket: '/tmp/netcap/q/full.sock' })).toMatchObject({ queued: 2, backlog: 1, full: true });
  });
  it('not this: idle listeners are not full, a path with a space is read whole, an unknown port has no queue', () => {
    expect(queueFor(queues, { ip: '127.0.0.1', port: 9101 })).toMatchObject({ queued: 0, backlog: 128, full: false });
    expect(queueFor(queues, { socket: '/tmp/netcap/q/php fpm.sock' })).toMatchObject({ backlog: 511, full: false });
    expect(queueFor(queues, { ip: '127.0.0.1', port: 9999 })).toBeNull();
    expect(queueFor(queues, { ip: '127.0.0.2', port: 9100 })).toBeNull();
  });
});

describe('firewall rules from nft list ruleset', () => {
  const backend = run('nft-ruleset-backend-drop-reject').stdout;
  it('finds the rule for each port and what the client sees', () => {
    expect(blockingRules(backend, { address: '10.250.77.2', port: 8080 }).rules).toEqual([expect.objectContaining({ chain: 'input', hook: 'input', effect: 'timeout', rule: 'tcp dport 8080 drop' })]);
    expect(blockingRules(backend, { address: '10.250.77.2', port: 8081 }).rules[0]).toMatchObject({ effect: 'no-route', rule: 'tcp dport 8081 reject with icmp host-prohibited' });
    expect(blockingRules(backend, { address: '10.250.77.2', port: 8082 }).rules[0]).toMatchObject({ effect: 'refused' });
  });
  it('an output rule of the proxy box that names the backend address', () => {
    const { rules } = blockingRules(run('nft-ruleset-proxy-output-drop').stdout, { address: '10.250.77.2', port: 9000 });
    expect(rules).toEqual([expect.objectContaining({ table: 'ip bgout', chain: 'out', hook: 'output', effect: 'timeout' })]);
  });
  it('not this: another port, another address, no rules, no permission', () => {
    expect(blockingRules(backend, { address: '10.250.77.2', port: 9999 })).toEqual({ rules: [], dropPolicies: [] });
    expect(blockingRules(run('nft-ruleset-proxy-output-drop').stdout, { address: '10.250.77.3', port: 80 }).rules).toEqual([]);
    expect(blockingRules(run('nft-ruleset-empty').stdout, { address: '10.250.77.2', port: 8080 }).rules).toEqual([]);
    expect(run('nft-ruleset-nonroot').code).not.toBe(0);
  });
  it('a drop policy is reported; a prefix covers an address; plain reject reads as refused', () => {
    const text = 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tip saddr 10.250.0.0/16 reject\n\t\ttcp dport 22 accept\n\t}\n}\n';
    const found = blockingRules(text, { address: '10.250.3.4', port: 80 });
    expect(found.dropPolicies).toEqual(['table inet f chain input (hook input): policy drop']);
    expect(found.rules).toEqual([expect.objectContaining({ effect: 'refused', rule: 'ip saddr 10.250.0.0/16 reject' })]);
  });
});

describe('resolv.conf and /etc/hosts', () => {
  it('nameservers in order, once each, comments and other options skipped', () => {
    expect(parseResolvConf(run('resolv-conf-search-options-comments').stdout)).toEqual(['10.250.0.53', '10.250.0.54']);
    expect(parseResolvConf(run('resolv-conf-this-box').stdout)).toEqual(['10.255.255.53']);
  });
  it('hosts entries with their names lower-cased; not this: comments are no entries', () => {
    const hosts = parseHostsFile(run('hosts-mixed-case-comments').stdout);
    expect(hosts).toContainEqual({ address: '10.250.3.7', names: ['app.internal', 'app'] });
    expect(hosts.some((h) => h.address.startsWith('#'))).toBe(false);
    expect(hosts).toHaveLength(4);
  });
});
