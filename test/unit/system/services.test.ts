import { describe, expect, it } from 'vitest';
import { parsePs } from '../../../src/system/ps.js';
import {
  ancestors,
  initScriptManages,
  parseDockerPs,
  parseInitScripts,
  parsePm2List,
  pm2Home,
  parseSupervisorStatus,
  parseUnitFiles,
  runsvdirDir,
  s6ScanDir,
  supervisorOf,
  svTarget,
  systemdRunning,
  unitFromCgroup,
} from '../../../src/system/services.js';
import { fixture } from '../checks/fixtures.js';

describe('is systemd init?', () => {
  it('only when /run/systemd/system is a directory', () => {
    expect(systemdRunning(fixture('service/stat-directory.stdout.txt'), 0)).toBe(true);
    // not this: this box (stat fails), whatever else systemd left on disk.
    expect(systemdRunning('', 1)).toBe(false);
    expect(fixture('service/stat-run-systemd-system.stderr.txt')).toContain('No such file or directory');
  });

  it('not this: systemctl list-unit-files answers from disk even without systemd, so it proves nothing', () => {
    const units = parseUnitFiles(fixture('service/systemctl-list-unit-files-no-systemd.txt'));
    expect(units).toContainEqual({ unit: 'php8.2-fpm.service', state: 'enabled' });
    expect(units).toContainEqual({ unit: 'sshd.service', state: 'alias' });
    expect(fixture('service/systemctl-list-units-no-systemd.stderr.txt')).toMatch(/not been booted with systemd/);
  });
});

describe('the systemd unit of a process', () => {
  it('not this: a cgroup v1 process on this box, in no service (name=systemd:/ is no unit)', () => {
    expect(unitFromCgroup(fixture('service/cgroup-v1-no-systemd-php-fpm.txt'))).toBeNull();
  });

  it('reads .service from cgroup v2 and v1 paths (format of cgroups(7): no systemd runs here to capture one)', () => {
    expect(unitFromCgroup('0::/system.slice/php8.2-fpm.service\n')).toBe('php8.2-fpm.service');
    expect(unitFromCgroup('12:pids:/system.slice/nginx.service\n1:name=systemd:/system.slice/nginx.service\n')).toBe('nginx.service');
    expect(unitFromCgroup('0::/system.slice/app@blue.service/payload\n')).toBe('app@blue.service');
    // not this: a login session or a user manager is no service of the box.
    expect(unitFromCgroup('0::/user.slice/user-1000.slice/session-3.scope\n')).toBeNull();
    expect(unitFromCgroup('0::/user.slice/user-1000.slice/user@1000.service/init.scope\n')).toBeNull();
  });
});

describe('SysV init scripts', () => {
  it('lists the scripts, and tells which one starts a given php-fpm config', () => {
    const scripts = parseInitScripts(fixture('service/ls-init-d.txt'));
    expect(scripts).toContain('php8.2-fpm');
    expect(scripts).toContain('nginx');
    const script = fixture('service/init-d-php8.2-fpm.txt');
    expect(initScriptManages(script, { binary: '/usr/sbin/php-fpm8.2', conf: '/etc/php/8.2/fpm/php-fpm.conf' })).toBe(true);
    // not this: a php-fpm started by hand from another config is not the script's.
    expect(initScriptManages(script, { binary: '/usr/sbin/php-fpm8.2', conf: '/tmp/fpmcap/a/php-fpm.conf' })).toBe(false);
    expect(initScriptManages(script, { binary: null, conf: null })).toBe(false);
  });

  it('matches a program by its binary when there is no config to compare', () => {
    const script = fixture('service/init-d-php8.2-fpm.txt');
    expect(initScriptManages(script, { binary: '/usr/sbin/php-fpm8.2', conf: null })).toBe(true);
    expect(initScriptManages(script, { binary: '/usr/bin/python3', conf: null })).toBe(false);
  });
});

describe("supervisors among a process's parents", () => {
  it('supervisord runs php-fpm: its status names the program by pid', () => {
    const processes = parsePs(fixture('service/ps-supervisord-children.txt'));
    const worker = processes.find((p) => p.args === 'php-fpm: pool shop');
    const chain = ancestors(processes, worker?.pid ?? 0);
    expect(chain.map((p) => p.pid)).toEqual([worker?.pid, 10342, 10327]);
    expect(supervisorOf(chain)).toEqual({ kind: 'supervisor', pid: 10327 });
    const programs = parseSupervisorStatus(fixture('service/supervisorctl-status.stdout.txt'));
    expect(programs).toEqual([
      { name: 'api', state: 'RUNNING', pid: 10341 },
      { name: 'shop-fpm', state: 'RUNNING', pid: 10342 },
      { name: 'worker', state: 'STOPPED', pid: null },
    ]);
    expect(parseSupervisorStatus(fixture('service/supervisorctl-status-api-stopped.stdout.txt'))[0]).toEqual({ name: 'api', state: 'STOPPED', pid: null });
  });

  it('not this: supervisorctl with no supervisord running lists nothing', () => {
    expect(parseSupervisorStatus(fixture('service/supervisorctl-status-no-daemon.stdout.txt'))).toEqual([]);
  });

  it("pm2's God Daemon runs the app; jlist names it by pid", () => {
    const processes = parsePs(fixture('service/ps-pm2-children.txt'));
    const chain = ancestors(processes, 2523);
    expect(supervisorOf(chain)).toEqual({ kind: 'pm2', pid: 2511 });
    expect(parsePm2List(fixture('service/pm2-jlist-online.json'))).toEqual([
      {
        name: 'api',
        status: 'online',
        pid: 2523,
        port: null,
        command: '/usr/bin/python3 -m http.server 38472 --bind 127.0.0.1',
        logs: ['/tmp/pm2cap/home2/logs/api-error.log', '/tmp/pm2cap/home2/logs/api-out.log'],
        restarts: 0,
      },
    ]);
    expect(parsePm2List(fixture('service/pm2-jlist-stopped.json'))).toMatchObject([{ name: 'api', status: 'stopped', pid: null }]);
    expect(pm2Home(processes.find((p) => p.pid === 2511)?.args ?? '')).toBe('/tmp/pm2cap/home2');
    expect(pm2Home('node /srv/pm2-dashboard/index.js')).toBeNull();
    expect(parsePm2List('[PM2] Spawning PM2 daemon\nnot json')).toEqual([]);
  });

  it('not this: a process started by hand has no supervisor; the master itself does not count', () => {
    const processes = parsePs(fixture('php-fpm/ps-two-masters.txt'));
    expect(supervisorOf(ancestors(processes, 9833))).toBeNull();
    const supervised = parsePs(fixture('service/ps-supervisord-children.txt'));
    expect(supervisorOf(ancestors(supervised, 10327))).toBeNull();
  });

  it("a docker container shim names the container (format of containerd-shim-runc-v2's command line)", () => {
    const chain = parsePs(
      '  900     1 root                             /usr/bin/containerd-shim-runc-v2 -namespace moby -id 4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b -address /run/containerd/containerd.sock\n  950   900 root                             php-fpm: master process (/usr/local/etc/php-fpm.conf)\n',
    );
    expect(supervisorOf(ancestors(chain, 950))).toEqual({ kind: 'docker', container: '4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b' });
    expect(parseDockerPs('4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b shop-php running\n')).toEqual([
      { id: '4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b', name: 'shop-php', state: 'running' },
    ]);
  });
});

describe('runit', () => {
  it('runsv NAME is the supervisor of the program it runs; runsvdir names the directory sv looks in', () => {
    const ps = parsePs(fixture('service/ps-runit-running.txt'));
    expect(supervisorOf(ancestors(ps, 69))).toEqual({ kind: 'runit', pid: 67, service: 'shop-api' });
    expect(runsvdirDir(ps)).toBe('/etc/service');
    expect(svTarget('shop-api', '/etc/service')).toBe('shop-api');
    // Void's runsvdir scans /var/service: sv, whose default is /etc/service on Debian, needs the path.
    expect(svTarget('shop-api', '/var/service/')).toBe('/var/service/shop-api');
  });

  it('not this: svlogd, a child of the same runsv, and a box without runsvdir', () => {
    const ps = parsePs(fixture('service/ps-runit-running.txt'));
    expect(supervisorOf(ancestors(ps, 67))).toBeNull();
    expect(runsvdirDir(parsePs(fixture('php-fpm/ps-two-masters.txt')))).toBeNull();
  });
});

describe('s6', () => {
  it('s6-supervise NAME is the supervisor of the program it runs; s6-svscan names the scan directory', () => {
    const ps = parsePs(fixture('service/ps-s6-running.txt'));
    const app = ps.find((p) => p.args.includes('server.py'))!;
    expect(supervisorOf(ancestors(ps, app.pid))).toEqual({ kind: 's6', pid: app.ppid, service: 'shop-api' });
    expect(s6ScanDir(ps)).toBe('/run/service');
  });

  it('not this: the logger under "s6-supervise shop-api/log", and a box without s6-svscan', () => {
    const ps = parsePs(fixture('service/ps-s6-running.txt'));
    const logger = ps.find((p) => p.args.startsWith('s6-log'))!;
    expect(supervisorOf(ancestors(ps, logger.pid))).toBeNull();
    expect(s6ScanDir(parsePs(fixture('service/ps-runit-running.txt')))).toBeNull();
  });
});
