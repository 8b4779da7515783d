import { describe, expect, it } from 'vitest';
import { backendReach, probeSeconds } from '../../../src/checks/backend-reach.js';
import { parseDialled } from '../../../src/facts/dialled.js';
import { dnsLookup } from '../../../src/checks/dns-lookup.js';
import { socketQueue } from '../../../src/checks/socket-queue.js';
import { failPolicy, upstreamServers } from '../../../src/checks/upstream-group.js';
import { upstreamTlsCheck } from '../../../src/checks/upstream-tls.js';
import type { KnownFacts } from '../../../src/facts/keys.js';
import { NETWORK_PLANNERS } from '../../../src/fixes/planners/network.js';
import { TLS_PLANNERS } from '../../../src/fixes/planners/tls.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { parseErrorLog } from '../../../src/nginx/error-log.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { fixture as errorLogFixture } from '../nginx/error-log-fixture.js';
import { captured } from '../system/fixture.js';
import { run } from '../system/network-fixture.js';

const CONF = `# configuration file /etc/nginx/nginx.conf:
http {
    upstream pool { server 127.0.0.1:18001 max_fails=3 fail_timeout=30s; server 127.0.0.1:18002 down; server unix:/run/app.sock backup; }
    upstream backend.test { server 127.0.0.1:18602; }
    server {
        listen 8080;
        server_name shop.test;
        location /blackhole { proxy_pass http://10.250.77.2:8080; proxy_connect_timeout 2s; }
        location /queue { proxy_pass http://127.0.0.1:9100; proxy_connect_timeout 1s; }
        location /tls-sni { proxy_pass https://backend.test; }
        location /tls-verify { proxy_pass https://127.0.0.1:18601; proxy_ssl_verify on; proxy_ssl_trusted_certificate /etc/nginx/other-ca.pem; proxy_ssl_name backend.test; }
        location /tls-name {
            proxy_pass https://127.0.0.1:18601;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate /etc/nginx/ca.pem;
            proxy_ssl_name other.test;
        }
        location /plain { proxy_pass https://127.0.0.1:18604; }
        location /v13 { proxy_pass https://127.0.0.1:18603; }
        location /pool { proxy_pass http://pool; }
        location /dns { set $app app.internal; proxy_pass http://$app:8080; }
    }
}
`;
const config = parseDump(CONF);

function facts(path: string, extra: KnownFacts = {}): KnownFacts {
  return {
    'nginx.config': config,
    'nginx.version': '1.22.1',
    'nginx.confPath': '/etc/nginx/nginx.conf',
    'nginx.test': ['nginx', '-t'],
    'nginx.reload': ['nginx', '-s', 'reload'],
    'request.url': `http://shop.test:8080${path}`,
    'request.port': 8080,
    'request.path': path,
    'request.hostHeader': 'shop.test:8080',
    'route.errorLog': '/var/log/nginx/error.log',
    ...extra,
  };
}

/** A real run's output, handed back for the command the check asked for (the capture ran against other ports). */
function answer(argv: string[], source: { stdout: string; stderr: string; code: number | null; ms: number }): CommandResult {
  return { argv, stdout: source.stdout, stderr: source.stderr, code: source.code, ms: source.ms };
}
const net = (name: string) => run(name);
const sys = (name: string) => captured(name);

describe('backend.reach', () => {
  const blackhole = (extra: KnownFacts = {}) => facts('/blackhole', { 'upstream.target': '10.250.77.2:8080', 'error.kind': 'connect-timeout', ...extra });

  /** Runs plan and interpret with these outputs for the probe, ss, nft, ip route and ip neigh. */
  function reach(f: KnownFacts, outputs: { probe: any; ss?: any; nft?: any; route?: any; neigh?: any }) {
    const first = backendReach.plan(f, []);
    const done = first.map((spec) => {
      const [a, b] = spec.argv;
      const source = a === 'timeout' ? outputs.probe : a === 'ss' ? (outputs.ss ?? net('ss-listen-queues')) : a === 'nft' ? (outputs.nft ?? net('nft-ruleset-empty')) : outputs.route;
      expect(source, `an output for ${a} ${b}`).toBeDefined();
      return answer(spec.argv, source);
    });
    const second = backendReach.plan(f, done);
    for (const spec of second) done.push(answer(spec.argv, outputs.neigh ?? { stdout: '', stderr: '', code: 0, ms: 1 }));
    expect(backendReach.plan(f, done)).toEqual([]);
    return { first, second, result: backendReach.interpret(f, done) };
  }

  it('plans a short probe, the route, the queues and the firewall, then the neighbour of the next hop', () => {
    const { first, second } = reach(blackhole(), { probe: net('tcp-probe-firewall-drop'), route: net('ip-route-get-onlink'), neigh: net('ip-neigh-reachable') });
    expect(first.map((c) => c.argv.slice(0, 3))).toEqual([
      ['timeout', '-k', '1'],
      ['ss', '-Hlntx'],
      ['nft', 'list', 'ruleset'],
      ['nft', 'list', 'ruleset'],
      ['ip', 'route', 'get'],
    ]);
    // The queue and the second ruleset are the backend's own box's (nginx's box when the backend is local).
    expect(first.map((c) => c.on ?? 'proxy')).toEqual(['proxy', 'backend', 'proxy', 'backend', 'proxy']);
    expect(first[0]!.argv.slice(3, 4)).toEqual(['4']);
    expect(second.map((c) => c.argv)).toEqual([['ip', 'neigh', 'show', 'to', '10.250.77.2']]);
  });

  it('timeout: dropped on the way, the host answers ARP; the fix is a firewall rule, not the timeout', () => {
    const { result } = reach(blackhole(), { probe: net('tcp-probe-firewall-drop'), route: net('ip-route-get-onlink'), neigh: net('ip-neigh-reachable') });
    expect(result.outcome).toBe('timeout');
    expect(result.facts).toMatchObject({
      'reach.address': '10.250.77.2:8080',
      'reach.source': '10.250.77.1',
      'reach.neighbour': 'reachable',
      'timeout.directive': 'proxy_connect_timeout',
      'timeout.currentMs': 2000,
    });
    const plan = NETWORK_PLANNERS['firewall-path']!.plan({ ...blackhole(), ...result.facts });
    const notes = plan.notes.join('\n');
    expect(notes).toContain('so the host is up on the local link: a firewall drops the connection');
    expect(notes).toContain('nft insert rule inet filter input ip saddr 10.250.77.1 tcp dport 8080 accept');
    expect(notes).toContain('proxy_connect_timeout is 2s (/etc/nginx/nginx.conf:');
    expect(plan.commands).toEqual([]);
  });

  it('timeout with nobody answering ARP: the host is gone, a firewall is unlikely', () => {
    const { result } = reach(blackhole(), { probe: net('tcp-probe-no-arp-answer'), route: net('ip-route-get-onlink-no-arp'), neigh: net('ip-neigh-failed') });
    expect(result.outcome).toBe('timeout');
    const notes = NETWORK_PLANNERS['firewall-path']!.plan({ ...blackhole(), ...result.facts }).notes.join('\n');
    expect(notes).toContain('no host uses that address now');
  });

  it("this box's own output rule that drops the backend is named", () => {
    const f = facts('/blackhole', { 'upstream.target': '10.250.77.2:9000', 'error.kind': 'connect-timeout' });
    const { result } = reach(f, { probe: net('tcp-probe-firewall-drop'), nft: net('nft-ruleset-proxy-output-drop'), route: net('ip-route-get-onlink') });
    expect(result.facts['reach.blocking']).toEqual(['table ip bgout chain out (hook output): ip daddr 10.250.77.2 tcp dport 9000 counter packets 0 bytes 0 drop']);
    expect(NETWORK_PLANNERS['firewall-path']!.plan({ ...f, ...result.facts }).notes.join('\n')).toContain("This box's own firewall names the backend");
  });

  it('no-route: an ICMP host-prohibited answer through a fine route points at the backend host firewall', () => {
    const f = blackhole({ 'error.kind': 'no-route' });
    const { result } = reach(f, { probe: net('tcp-probe-host-prohibited'), route: net('ip-route-get-onlink'), neigh: net('ip-neigh-reachable') });
    expect(result.outcome).toBe('no-route');
    const notes = NETWORK_PLANNERS['network-route']!.plan({ ...f, ...result.facts }).notes.join('\n');
    expect(notes).toContain('icmp-host-prohibited');
  });

  it('no-route: the kernel has no route at all', () => {
    const f = blackhole({ 'error.kind': 'network-unreachable' });
    const { result, second } = reach(f, { probe: sys('tcp-probe-unreachable-netns'), route: net('ip-route-get-network-unreachable') });
    expect(result.outcome).toBe('no-route');
    expect(second).toEqual([]);
    expect(result.facts['reach.route']).toBe('no route covers 10.250.77.2, and there is no default route');
    expect(NETWORK_PLANNERS['network-route']!.plan({ ...f, ...result.facts }).notes.join('\n')).toContain('no usable route to 10.250.77.2');
  });

  it('queue-full: the local listener has more waiting than its queue holds', () => {
    const f = facts('/queue', { 'upstream.target': '127.0.0.1:9100', 'error.kind': 'connect-timeout' });
    const { result } = reach(f, { probe: sys('tcp-probe-timeout-full-backlog'), route: net('ip-route-get-local-loopback') });
    expect(result.outcome).toBe('queue-full');
    expect(result.facts['reach.queue']).toContain('3 connection(s) waiting to be accepted, queue size 2 (full');
    expect(NETWORK_PLANNERS['backend-overload']!.plan({ ...f, ...result.facts }).notes.join('\n')).toContain('pm.max_children');
  });

  it('not this: refused now, open now, an idle local listener', () => {
    expect(reach(blackhole(), { probe: net('tcp-probe-tcp-reset'), route: net('ip-route-get-onlink') }).result.outcome).toBe('refused');
    const f = facts('/queue', { 'upstream.target': '127.0.0.1:9101', 'error.kind': 'connect-timeout' });
    const open = reach(f, { probe: sys('tcp-probe-open-127.0.0.1'), route: net('ip-route-get-local-loopback') }).result;
    expect(open.outcome).toBe('open');
    expect(open.facts['reach.queue']).toContain('queue size 128');
  });

  it("the error line names the server nginx tried, over the route's first one", () => {
    const [line] = parseErrorLog(errorLogFixture('connect-timeout.log'));
    const f = blackhole({ 'error.latest': line! });
    expect(backendReach.plan(f, [])[0]!.argv.slice(-2)).toEqual(['10.250.2.2', '80']);
    expect(parseDialled('fastcgi://unix:/run/php.sock:')).toEqual({ kind: 'unix', socket: '/run/php.sock' });
    expect(parseDialled('http://pool/x')).toBeNull();
    expect(parseDialled('https://[::1]:8443/x')).toEqual({ kind: 'tcp', host: '::1', port: 8443 });
  });

  it('probes long enough to see a slow accept, and past ARP after a no-route error', () => {
    expect(probeSeconds(1000, 'connect-timeout')).toBe(2);
    expect(probeSeconds(60_000, 'connect-timeout')).toBe(5);
    expect(probeSeconds(1000, 'no-route')).toBe(4);
  });
});

describe('socket.queue', () => {
  it('full, room, nothing listening', () => {
    const ss = answer(['ss', '-Hlntx'], net('ss-listen-queues'));
    expect(socketQueue.interpret({ 'upstream.socket': '/tmp/netcap/q/full.sock' }, [ss]).outcome).toBe('full');
    expect(socketQueue.interpret({ 'upstream.socket': '/tmp/netcap/q/php fpm.sock' }, [ss]).outcome).toBe('room');
    expect(socketQueue.interpret({ 'upstream.socket': '/run/gone.sock' }, [ss]).outcome).toBe('not-listening');
  });
});

describe('upstream.tls', () => {
  /** The probes the check plans, answered in order by these captured runs; then openssl x509 if it asks. */
  function shake(f: KnownFacts, outputs: { asNginx: any; chain: any; names?: any[]; http?: any; x509?: any }) {
    const first = upstreamTlsCheck.plan(f, []);
    const named = first.slice(2, -1);
    expect(named.length).toBe(outputs.names?.length ?? 0);
    const done = [
      answer(first[0]!.argv, outputs.asNginx),
      answer(first[1]!.argv, outputs.chain),
      ...named.map((spec, i) => answer(spec.argv, outputs.names![i])),
      answer(first.at(-1)!.argv, outputs.http ?? sys('http-probe-empty-reply')),
    ];
    for (const spec of upstreamTlsCheck.plan(f, done)) {
      expect(spec.stdin).toContain('BEGIN CERTIFICATE');
      done.push(answer(spec.argv, outputs.x509));
    }
    return { first, result: upstreamTlsCheck.interpret(f, done) };
  }
  const at = (path: string, target: string) => facts(path, { 'upstream.target': target });

  it("needs-sni: nginx sends no name; the handshake works with the group's name", () => {
    const f = at('/tls-sni', '127.0.0.1:18602');
    const { first, result } = shake(f, {
      asNginx: net('s-client-sni-required-none-sent'),
      chain: net('s-client-showcerts'),
      names: [net('s-client-sni-required-name-sent'), net('s-client-sni-required-wrong-name')],
      x509: net('x509-names-leaf'),
    });
    expect(first[0]!.argv).toContain('-noservername');
    // Candidate names: nginx's own (the group's name), then the request's Host.
    expect(first.slice(2, 4).map((c) => c.argv[c.argv.indexOf('-servername') + 1])).toEqual(['backend.test', 'shop.test']);
    expect(first[0]!.argv).toEqual(expect.arrayContaining(['-min_protocol', 'TLSv1', '-max_protocol', 'TLSv1.2']));
    expect(first[0]!.stdin).toBe('');
    expect(result.outcome).toBe('needs-sni');
    expect(result.facts).toMatchObject({ 'tls.serverName': 'backend.test', 'tls.nginxName': 'backend.test', 'tls.sendsSni': false });
    const plan = TLS_PLANNERS['tls-server-name']!.plan({ ...f, ...result.facts });
    expect(plan.edits).toEqual([expect.objectContaining({ before: 'location /tls-sni {', after: 'location /tls-sni {\n    proxy_ssl_server_name on;' })]);
    expect(plan.commands.at(-1)!.argv).toEqual(['nginx', '-s', 'reload']);
  });

  it('untrusted: the trusted file holds another CA; never advises turning verification off as the fix', () => {
    const f = at('/tls-verify', '127.0.0.1:18601');
    const { first, result } = shake(f, {
      asNginx: net('s-client-untrusted-other-ca'),
      chain: net('s-client-showcerts'),
      names: [net('s-client-sni-required-name-sent'), net('s-client-ok-unverified')],
      x509: net('x509-names-leaf'),
    });
    expect(first[0]!.argv).toEqual(expect.arrayContaining(['-verify_return_error', '-CAfile', '/etc/nginx/other-ca.pem', '-verify_depth', '1', '-verify_hostname', 'backend.test']));
    expect(result.outcome).toBe('untrusted');
    expect(result.facts['tls.issuer']).toBe('CN = Lab Test CA');
    const plan = TLS_PLANNERS['tls-trust']!.plan({ ...f, ...result.facts });
    expect(plan.edits).toEqual([]);
    expect(plan.notes[0]).toContain("/etc/nginx/other-ca.pem does not hold the CA that signed the backend's certificate (issuer: CN = Lab Test CA)");
    expect(plan.notes.join('\n')).toContain('Do not turn proxy_ssl_verify off');
    expect(plan.edits.some((e) => e.after.includes('verify off'))).toBe(false);
  });

  it('name-mismatch: the certificate names another host; proxy_ssl_name is changed where it is written', () => {
    const f = at('/tls-name', '127.0.0.1:18601');
    const { result } = shake(f, {
      asNginx: net('s-client-name-mismatch'),
      chain: net('s-client-showcerts'),
      names: [net('s-client-ok-unverified'), net('s-client-ok-unverified')],
      x509: net('x509-names-leaf'),
    });
    expect(result.outcome).toBe('name-mismatch');
    expect(result.facts).toMatchObject({ 'tls.serverName': 'backend.test', 'tls.certNames': ['backend.test'] });
    const plan = TLS_PLANNERS['tls-name']!.plan({ ...f, ...result.facts });
    expect(plan.edits).toEqual([expect.objectContaining({ before: 'proxy_ssl_name other.test;', after: 'proxy_ssl_name backend.test;' })]);
  });

  it('versions: TLS 1.3 only, nginx 1.22 offers up to 1.2', () => {
    const f = at('/v13', '127.0.0.1:18603');
    const { result } = shake(f, { asNginx: net('s-client-tls13-only-max-12'), chain: net('s-client-tls13-only-any-version'), names: [net('s-client-tls13-only-max-12')] });
    expect(result.outcome).toBe('versions');
    expect(result.facts).toMatchObject({ 'tls.protocol': 'TLSv1.3', 'tls.nginxProtocols': ['TLSv1', 'TLSv1.1', 'TLSv1.2'] });
    const plan = TLS_PLANNERS['tls-protocols']!.plan({ ...f, ...result.facts });
    expect(plan.edits[0]!.after).toContain('proxy_ssl_protocols TLSv1.2 TLSv1.3;');
  });

  it('plain-http: wrong version number, and plain HTTP answers; the edit drops the s', () => {
    const f = at('/plain', '127.0.0.1:18604');
    const { result } = shake(f, { asNginx: net('s-client-plain-http'), chain: net('s-client-plain-http'), names: [net('s-client-plain-http')], http: sys('http-probe-200-python') });
    expect(result.outcome).toBe('plain-http');
    const plan = TLS_PLANNERS['tls-to-plain-http']!.plan({ ...f, ...result.facts });
    expect(plan.edits).toEqual([expect.objectContaining({ before: 'proxy_pass https://127.0.0.1:18604;', after: 'proxy_pass http://127.0.0.1:18604;' })]);
  });

  it('not this: a handshake that works, a refused connect, a silent listener', () => {
    const f = at('/v13', '127.0.0.1:18603');
    expect(shake(f, { asNginx: net('s-client-verified-as-nginx'), chain: net('s-client-showcerts'), names: [net('s-client-ok-unverified')], x509: net('x509-names-leaf') }).result.outcome).toBe(
      'handshake-ok',
    );
    expect(shake(f, { asNginx: net('s-client-refused'), chain: net('s-client-refused'), names: [net('s-client-refused')] }).result.outcome).toBe('no-connection');
    expect(shake(f, { asNginx: net('s-client-no-answer'), chain: net('s-client-no-answer'), names: [net('s-client-no-answer')] }).result.outcome).toBe('other');
    // An expired certificate is no SNI problem, though a handshake without verification works.
    const expired = shake(at('/tls-verify', '127.0.0.1:18601'), {
      asNginx: net('s-client-expired'),
      chain: net('s-client-showcerts'),
      names: [net('s-client-ok-unverified'), net('s-client-ok-unverified')],
      x509: net('x509-names-leaf'),
    });
    expect(expired.result).toMatchObject({ outcome: 'other', facts: { 'tls.reason': 'certificate has expired' } });
    // A backend refusing every name we know is still an SNI problem, with the name left to the person.
    const sni = shake(at('/tls-sni', '127.0.0.1:18602'), {
      asNginx: net('s-client-sni-required-none-sent'),
      chain: net('s-client-sni-required-none-sent'),
      names: [net('s-client-sni-required-wrong-name'), net('s-client-sni-required-wrong-name')],
    });
    expect(sni.result).toMatchObject({ outcome: 'needs-sni', facts: { 'tls.serverName': '' } });
  });
});

describe('upstream.servers', () => {
  const f = facts('/pool', { 'upstream.target': '127.0.0.1:18001' });

  function servers(probe: any) {
    const planned = upstreamServers.plan(f, []);
    const done = planned.map((spec) =>
      answer(spec.argv, spec.argv[0] === 'tail' ? { stdout: errorLogFixture('no-live-upstreams.log'), stderr: '', code: 0, ms: 1 } : spec.argv[0] === 'ss' ? net('ss-listen-queues') : probe),
    );
    return { planned, result: upstreamServers.interpret(f, done) };
  }

  it('probes every TCP server, reads why each was marked failed, and names down servers', () => {
    const { planned, result } = servers(sys('tcp-probe-refused-127.0.0.1'));
    expect(planned.map((c) => c.argv.at(-1))).toEqual(['/var/log/nginx/error.log', '-Hlntx', '18001', '18002']);
    expect(result.outcome).toBe('servers-failing');
    const [one, two, sock] = result.facts['group.servers']!;
    expect(one).toMatchObject({ target: '127.0.0.1:18001', probe: 'refused', maxFails: 3, failTimeout: '30s', down: false });
    expect(one!.lastError).toBe('2026/11/21 13:03:47 connect() failed (111: Connection refused) while connecting to upstream');
    expect(two).toMatchObject({ target: '127.0.0.1:18002', down: true, maxFails: 1, failTimeout: '10s' });
    expect(sock).toMatchObject({ target: 'unix:/run/app.sock', probe: 'not-listening', backup: true });
    const plan = NETWORK_PLANNERS['upstream-group']!.plan({ ...f, ...result.facts });
    expect(plan.edits).toEqual([expect.objectContaining({ before: 'server 127.0.0.1:18002 down;', after: 'server 127.0.0.1:18002;' })]);
    expect(plan.notes[0]).toContain('Bring 127.0.0.1:18001 back: it is refused now');
  });

  it("not this: a server that accepts is not failing; the policy defaults are nginx's", () => {
    const { result } = servers(sys('tcp-probe-open-127.0.0.1'));
    expect(result.facts['group.servers']![0]).toMatchObject({ probe: 'open' });
    expect(failPolicy([])).toEqual({ maxFails: 1, failTimeout: '10s', backup: false, down: false });
    expect(failPolicy(['max_fails=0'])).toMatchObject({ maxFails: 0 });
  });
});

describe('dns.lookup', () => {
  const lines = parseErrorLog(errorLogFixture('dns.log'));
  const line = (start: string) => lines.find((l) => l.message.startsWith(start))!;
  const empty = { stdout: '', stderr: '', code: 0, ms: 1 };

  function lookup(error: ReturnType<typeof line>, getent: any) {
    const f = facts('/dns', { 'error.latest': error, 'error.detail': /^(?:no resolver defined to resolve )?(\S+)/.exec(error.message)![1]! });
    const planned = dnsLookup.plan(f, []);
    const done = planned.map((spec) => answer(spec.argv, spec.argv[0] === 'getent' ? getent : spec.argv.at(-1) === '/etc/resolv.conf' ? net('resolv-conf-search-options-comments') : empty));
    return { planned, result: dnsLookup.interpret(f, done) };
  }

  it("no resolver: nginx resolves at request time and has none; the end gets the box's nameservers", () => {
    const { planned, result } = lookup(line('no resolver defined'), net('getent-ahosts-not-found'));
    expect(planned[0]!.argv).toEqual(['getent', 'ahosts', '--', 'norez.invalid']);
    expect(result.outcome).toBe('no-resolver');
    expect(result.facts).toEqual({ 'dns.resolver': 'none', 'dns.nameservers': '10.250.0.53 10.250.0.54' });
  });

  it("resolver-failed: nginx's resolver timed out", () => {
    expect(lookup(line('other.invalid could not be resolved (110'), net('getent-ahosts-not-found')).result.outcome).toBe('resolver-failed');
  });

  it('resolves-here: only the box resolves it (/etc/hosts); not-found: nobody does', () => {
    const here = lookup(line('nosuch.invalid could not be resolved (3'), net('getent-ahosts-hosts-only')).result;
    expect(here).toMatchObject({ outcome: 'resolves-here', facts: { 'dns.now': '10.250.3.9' } });
    expect(lookup(line('nosuch.invalid could not be resolved (3'), net('getent-ahosts-not-found')).result.outcome).toBe('not-found');
  });
});
