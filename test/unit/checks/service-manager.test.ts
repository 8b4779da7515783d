import { describe, expect, it } from 'vitest';
import { serviceManager } from '../../../src/checks/service-manager.js';
import type { BackendHint, KnownFacts, Listener } from '../../../src/facts/keys.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { failed, fixture, ran, runPlan } from './fixtures.js';

interface Box {
  systemd?: boolean;
  ps: string;
  cgroup?: string;
  supervisor?: string;
  pm2?: string;
  /** The service-definitions search's output (src/system/service-defs.ts). */
  defs?: string;
}

/** This box's real answers; a systemd box is this box's unit files plus the stat a directory prints. */
function answers(box: Box) {
  return (argv: string[]): CommandResult | undefined => {
    const key = argv.join(' ');
    if (key === 'stat -c %F -- /run/systemd/system')
      return box.systemd ? ran(argv, fixture('service/stat-directory.stdout.txt')) : ran(argv, '', { stderr: fixture('service/stat-run-systemd-system.stderr.txt'), code: 1 });
    if (key === 'ls -1 -- /etc/init.d') return ran(argv, fixture('service/ls-init-d.txt'));
    if (key === 'ps -eo pid=,ppid=,user:32=,args=') return ran(argv, fixture(box.ps));
    if (key === 'cat -- /etc/init.d/php8.2-fpm') return ran(argv, fixture('service/init-d-php8.2-fpm.txt'));
    if (argv[0] === 'cat' && argv[2]?.endsWith('/cgroup') && box.cgroup) return ran(argv, fixture(box.cgroup));
    if (argv[0] === 'systemctl') return ran(argv, fixture('service/systemctl-list-unit-files-no-systemd.txt'));
    if (argv[0] === 'supervisorctl' && box.supervisor) return ran(argv, fixture(box.supervisor), { code: 3 });
    if (argv[0] === 'env' && argv[2] === 'pm2' && box.pm2) return ran(argv, fixture(box.pm2));
    if (argv[0] === 'sh' && argv[3] === 'service-defs' && box.defs) return ran(argv, fixture(box.defs));
    return undefined;
  };
}

function manage(hint: BackendHint, box: Box, dialled: KnownFacts = {}) {
  const facts: KnownFacts = { 'backend.hint': hint, ...dialled };
  const done = runPlan((d) => serviceManager.plan(facts, d), answers(box));
  return { done, result: serviceManager.interpret(facts, done) };
}

const stock: BackendHint = { pid: null, binary: '/usr/sbin/php-fpm8.2', conf: '/etc/php/8.2/fpm/php-fpm.conf', names: ['php8.2-fpm', 'php-fpm'], label: 'php-fpm pool www' };

describe('service.manager: what starts the backend here', () => {
  it('sysv: a stopped stock php-fpm on this box (no systemd) starts with its init script', () => {
    const { done, result } = manage(stock, { ps: 'php-fpm/ps-two-masters.txt' });
    expect(result.outcome).toBe('sysv');
    expect(result.facts).toMatchObject({ 'service.unit': 'php8.2-fpm', 'service.start': ['service', 'php8.2-fpm', 'start'], 'service.restart': ['service', 'php8.2-fpm', 'restart'] });
    // systemctl would fail here: it is never asked, never offered.
    expect(done.some((r) => r.argv[0] === 'systemctl')).toBe(false);
    expect(JSON.stringify(result.facts)).not.toContain('systemctl');
  });

  it('systemd: the same stopped php-fpm on a box where systemd is init has a unit to start', () => {
    const { result } = manage(stock, { systemd: true, ps: 'php-fpm/ps-two-masters.txt' });
    expect(result.outcome).toBe('systemd');
    expect(result.facts['service.start']).toEqual(['systemctl', 'start', 'php8.2-fpm.service']);
  });

  it('process: a php-fpm master started by hand from its own config, although an init script exists for its version', () => {
    const hint: BackendHint = { pid: 9829, binary: '/usr/sbin/php-fpm8.2', conf: '/tmp/fpmcap/a/php-fpm.conf', names: ['php8.2-fpm', 'php-fpm'], label: 'php-fpm pool shop' };
    const { result } = manage(hint, { ps: 'php-fpm/ps-two-masters.txt', cgroup: 'service/cgroup-v1-no-systemd-php-fpm.txt' });
    expect(result.outcome).toBe('process');
    expect(result.facts).toMatchObject({
      'service.stop': ['kill', '-QUIT', '--', '9829'],
      'service.start': ['/usr/sbin/php-fpm8.2', '--daemonize', '--fpm-config', '/tmp/fpmcap/a/php-fpm.conf'],
      'service.restart': [],
      'service.reload': ['kill', '-USR2', '--', '9829'],
    });
    expect(JSON.stringify(result.evidence)).toContain('/etc/init.d/php8.2-fpm exists, but does not start this one');
  });

  it('supervisor: supervisord runs php-fpm as its program shop-fpm', () => {
    const hint: BackendHint = { pid: 10342, binary: '/usr/sbin/php-fpm8.2', conf: '/tmp/fpmcap/a/php-fpm.conf', names: ['php8.2-fpm', 'php-fpm'], label: 'php-fpm pool shop' };
    const { done, result } = manage(hint, { ps: 'service/ps-supervisord-children.txt', cgroup: 'service/cgroup-v1-no-systemd-php-fpm.txt', supervisor: 'service/supervisorctl-status.stdout.txt' });
    expect(done.some((r) => r.argv[0] === 'supervisorctl')).toBe(true);
    expect(result.outcome).toBe('supervisor');
    expect(result.facts['service.restart']).toEqual(['supervisorctl', 'restart', 'shop-fpm']);
  });

  it('pm2: pm2 runs the python backend as its app api', () => {
    const hint: BackendHint = { pid: 2523, binary: null, conf: null, names: ['python3'], label: 'python3 pid 2523' };
    const { result } = manage(hint, { ps: 'service/ps-pm2-children.txt', cgroup: 'service/cgroup-v1-no-systemd-php-fpm.txt', pm2: 'service/pm2-jlist-online.json' });
    expect(result.outcome).toBe('pm2');
    // Asked, and started, through the daemon's own home (its title names it): no second daemon.
    expect(result.facts['service.start']).toEqual(['env', 'PM2_HOME=/tmp/pm2cap/home2', 'pm2', 'start', 'api']);
  });

  it("runit: runsv shop-api runs the python backend (Debian's runit, runsvdir -P /etc/service)", () => {
    const hint: BackendHint = { pid: 69, binary: null, conf: null, names: ['python3'], label: 'python3 pid 69' };
    const { result } = manage(hint, { ps: 'service/ps-runit-running.txt' });
    expect(result.outcome).toBe('runit');
    expect(result.facts).toMatchObject({ 'service.unit': 'shop-api', 'service.start': ['sv', 'start', 'shop-api'], 'service.restart': ['sv', 'restart', 'shop-api'] });
  });

  const port8002: KnownFacts = { 'upstream.target': '127.0.0.1:8002', 'upstream.kind': 'tcp', 'upstream.host': '127.0.0.1', 'upstream.port': 8002 };
  const stopped: BackendHint = { pid: null, binary: null, conf: null, names: [], label: 'the backend at 127.0.0.1:8002' };

  it('runit: stopped by sv stop, its run script names the port and its runsv is up; svlogd writes its log', () => {
    const { result } = manage(stopped, { ps: 'service/ps-runit-stopped.txt', defs: 'service/service-defs-runit-port.txt' }, port8002);
    expect(result.outcome).toBe('runit');
    expect(result.facts).toMatchObject({ 'service.start': ['sv', 'start', 'shop-api'], 'service.logs': ['/var/log/shop-api/current'] });
    expect(JSON.stringify(result.evidence)).toContain('/etc/sv/shop-api/run: exec chpst -u www-data /usr/bin/python3 /srv/shop-api/server.py 8002');
  });

  it('not this: the same run script with no runsv for it (runsvdir not running): sv would fail, so it is not offered', () => {
    const { result } = manage(stopped, { ps: 'php-fpm/ps-two-masters.txt', defs: 'service/service-defs-runit-port.txt' }, port8002);
    expect(result.outcome).not.toBe('runit');
    expect(JSON.stringify(result.facts)).not.toContain('"sv"');
  });

  it('s6: stopped by s6-svc -d, its run script in the scan directory names the port and its s6-supervise is up', () => {
    const port8003: KnownFacts = { 'upstream.target': '127.0.0.1:8003', 'upstream.kind': 'tcp', 'upstream.host': '127.0.0.1', 'upstream.port': 8003 };
    const hint: BackendHint = { pid: null, binary: null, conf: null, names: [], label: 'the backend at 127.0.0.1:8003' };
    const { result } = manage(hint, { ps: 'service/ps-s6-stopped.txt', defs: 'service/service-defs-s6-port.txt' }, port8003);
    expect(result.outcome).toBe('s6');
    expect(result.facts).toMatchObject({
      'service.start': ['s6-svc', '-u', '/run/service/shop-api'],
      'service.restart': ['s6-svc', '-r', '/run/service/shop-api'],
      'service.logs': ['/var/log/shop-api/current'],
    });
    // not this: the same run script with no s6-svscan (runit's box): nothing to tell s6-svc.
    expect(manage(hint, { ps: 'service/ps-runit-stopped.txt', defs: 'service/service-defs-s6-port.txt' }, port8003).result.outcome).not.toBe('s6');
  });

  it('s6: s6-supervise shop-api runs the python backend', () => {
    const running = fixture('service/ps-s6-running.txt');
    const pid = Number(/^\s*(\d+)\s+\d+\s+www-data\s+\/usr\/bin\/python3/m.exec(running)![1]);
    const { result } = manage({ pid, binary: null, conf: null, names: ['python3'], label: `python3 pid ${pid}` }, { ps: 'service/ps-s6-running.txt' });
    expect(result.outcome).toBe('s6');
    expect(result.facts['service.stop']).toEqual(['s6-svc', '-d', '/run/service/shop-api']);
  });

  it('supervisor: the program that binds the socket is FATAL (supervisord gave up): named, with no start, since it would fail the same way', () => {
    const socket: KnownFacts = { 'upstream.target': 'unix:/run/gunicorn/mysite.sock', 'upstream.kind': 'unix', 'upstream.socket': '/run/gunicorn/mysite.sock' };
    const hint: BackendHint = { pid: null, binary: null, conf: null, names: [], label: 'the backend at unix:/run/gunicorn/mysite.sock' };
    const box = { ps: 'service/ps-supervisord-fatal.txt', supervisor: 'service/supervisorctl-status-fatal.stdout.txt', defs: 'service/service-defs-supervisor-fatal.txt' };
    const { result } = manage(hint, box, socket);
    expect(result.outcome).toBe('supervisor');
    expect(result.facts).toMatchObject({ 'service.unit': 'mysite', 'service.start': [], 'service.logs': ['/var/log/mysite/gunicorn.out.log', '/var/log/mysite/gunicorn.err.log'] });
    expect(result.summary).toContain('supervisord gave up on it (FATAL)');
  });

  it('pm2: an app whose port is only in its own config.json, restarted again and again (waiting restart): the one app not online, with no start', () => {
    const port3000: KnownFacts = { 'upstream.target': '127.0.0.1:3000', 'upstream.kind': 'tcp', 'upstream.host': '127.0.0.1', 'upstream.port': 3000 };
    const hint: BackendHint = { pid: null, binary: null, conf: null, names: [], label: 'the backend at 127.0.0.1:3000' };
    const { result } = manage(hint, { ps: 'service/ps-pm2-crash-loop.txt', pm2: 'service/pm2-jlist-crash-loop.json' }, port3000);
    expect(result.outcome).toBe('pm2');
    expect(result.facts).toMatchObject({ 'service.unit': 'api', 'service.start': [], 'service.logs': ['/root/.pm2/logs/api-error.log', '/root/.pm2/logs/api-out.log'] });
    expect(result.summary).toContain('one app that is not online, api (waiting restart)');
    expect(result.summary).toContain('pm2 has started it 2 times and it exits each time');
  });

  it('not this: nothing known of the backend gives no command at all', () => {
    const { done, result } = manage({ pid: null, binary: null, conf: null, names: [], label: 'the backend' }, { ps: 'php-fpm/ps-two-masters.txt' });
    expect(result.outcome).toBe('unknown');
    expect(result.facts['service.start']).toEqual([]);
    // pm2 and docker are never asked without their daemon in sight (pm2 jlist would start one).
    expect(done.map((r) => r.argv[0])).toEqual(['stat', 'ls', 'ps']);
  });

  it('not this: a running process whose supervisor answers nothing about it falls back to a bare process', () => {
    const hint: BackendHint = { pid: 10341, binary: null, conf: null, names: ['python3'], label: 'python3 pid 10341' };
    const { result } = manage(hint, { ps: 'service/ps-supervisord-children.txt', supervisor: 'service/supervisorctl-status-no-daemon.stdout.txt' });
    expect(result.outcome).toBe('process');
    expect(result.facts['service.stop']).toEqual(['kill', '-QUIT', '--', '10341']);
  });
});

describe('failed commands are evidence too', () => {
  it('an unreadable init.d still decides from what ran', () => {
    const facts: KnownFacts = { 'backend.hint': stock };
    const result = serviceManager.interpret(facts, [
      failed(['stat', '-c', '%F', '--', '/run/systemd/system']),
      failed(['ls', '-1', '--', '/etc/init.d']),
      failed(['ps', '-eo', 'pid=,ppid=,user:32=,args=']),
    ]);
    expect(result.outcome).toBe('process');
    expect(result.facts['service.start']).toEqual(['/usr/sbin/php-fpm8.2', '--daemonize', '--fpm-config', '/etc/php/8.2/fpm/php-fpm.conf']);
  });
});

describe('service.manager ahead of its step: what its plan will likely ask, before the hint is known', () => {
  const early = (facts: KnownFacts) => (typeof serviceManager.early === 'function' ? serviceManager.early(facts).map((c) => c.argv.join(' ')) : []);
  const socket = '/run/php/php8.2-fpm.sock';
  const dialling: KnownFacts = { 'upstream.target': `unix:${socket}`, 'upstream.kind': 'unix', 'upstream.socket': socket };
  const fpm: Listener = { netid: 'unix', address: socket, port: null, path: socket, process: 'php-fpm8.2', pid: 812, pids: [812, 813, 640] };

  it('something listens where nginx dials: the cgroups of its processes, the init scripts named after it, and the service definitions (for a process no manager is seen over)', () => {
    const asked = early({ ...dialling, listeners: [fpm] });
    expect(asked).toEqual(expect.arrayContaining(['cat -- /proc/640/cgroup', 'cat -- /proc/812/cgroup', 'cat -- /etc/init.d/php8.2-fpm', 'cat -- /etc/init.d/php-fpm8.2']));
    expect(asked.filter((a) => a.startsWith('sh -c'))).toEqual([expect.stringContaining(socket.replace(/\./g, '\\.'))]);
  });

  it('nothing listens there: the service definitions that name the socket, as the plan asks for a stopped backend', () => {
    const asked = early({ ...dialling, listeners: [] });
    expect(asked.filter((a) => a.startsWith('sh -c') && a.includes(socket.replace(/\./g, '\\.')))).toHaveLength(1);
    expect(asked.filter((a) => a.includes('/proc/'))).toEqual([]);
  });

  it('before the route is known, only what every box answers', () => {
    expect(early({ 'upstream.target': '127.0.0.1:8000' })).toEqual([
      'stat -c %F -- /run/systemd/system',
      'ls -1 -- /etc/init.d',
      'ps -eo pid=,ppid=,user:32=,args=',
      'systemctl list-unit-files --type=service --no-legend --no-pager',
    ]);
  });
});
