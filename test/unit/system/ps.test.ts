import { describe, expect, it } from 'vitest';
import { nginxMasters, nginxWorkers, parseNginxMasterArgs, parsePs } from '../../../src/system/ps.js';
import { fixture } from './fixture.js';

const ps = parsePs(fixture('ps-nginx-phpfpm-python.txt'));

describe('parsePs', () => {
  it('reads every line', () => {
    expect(ps).toHaveLength(fixture('ps-nginx-phpfpm-python.txt').trim().split('\n').length);
  });

  it('keeps the whole command line, spaces included', () => {
    expect(ps.find((p) => p.pid === 11271)).toEqual({
      pid: 11271,
      ppid: 1,
      user: 'root',
      args: '/root/.pyenv/versions/3.11.7/bin/python3 /tmp/bgcap/servers.py multi 38105 /tmp/bgcap/my sock.sock @bgcap-abstract /tmp/bgcap/priv/open.sock',
    });
    expect(ps.find((p) => p.pid === 2)).toEqual({ pid: 2, ppid: 0, user: 'root', args: '[kthreadd]' });
    expect(ps.find((p) => p.pid === 11373)).toMatchObject({ ppid: 11275, user: 'www-data', args: 'php-fpm: pool www' });
  });

  it('not this: other command output gives nothing', () => {
    expect(parsePs(fixture('ss-python-tcp-unix-nginx.txt'))).toEqual([]);
    expect(parsePs('')).toEqual([]);
  });
});

describe('nginxMasters', () => {
  it('finds both masters with their -c/-p/-e/-g options', () => {
    expect(nginxMasters(ps)).toEqual([
      { pid: 11276, binary: '/usr/sbin/nginx', args: ['-c', '/tmp/bgcap/nginx.conf', '-p', '/tmp/bgcap/', '-g', 'daemon off;'] },
      {
        pid: 11281,
        binary: null, // started as "nginx" from PATH
        args: ['-c', '/tmp/bgcap/nginx2.conf', '-e', '/tmp/bgcap/n2-error.log', '-g', 'pid /tmp/bgcap/nginx2.pid; worker_processes 1;'],
      },
    ]);
  });

  it('not this: workers, cache processes, php-fpm and a tail of the nginx log', () => {
    const masterPids = nginxMasters(ps).map((m) => m.pid);
    for (const pid of [11283, 11293, 11296, 11297, 11275, 11768]) expect(masterPids).not.toContain(pid);
  });

  it('still finds the master during a reload', () => {
    expect(nginxMasters(parsePs(fixture('ps-nginx-reload-shutting-down.txt'))).map((m) => m.pid)).toEqual([11276, 11281]);
  });
});

describe('parseNginxMasterArgs', () => {
  it('reads the Debian systemd form, glued values and flags sharing a dash', () => {
    expect(parseNginxMasterArgs('-g daemon on; master_process on;')).toEqual(['-g', 'daemon on; master_process on;']);
    expect(parseNginxMasterArgs('-c/etc/nginx/alt.conf -q')).toEqual(['-c', '/etc/nginx/alt.conf']);
    expect(parseNginxMasterArgs('-qc /x.conf -g user www-data; -p /srv/')).toEqual(['-c', '/x.conf', '-g', 'user www-data;', '-p', '/srv/']);
    expect(parseNginxMasterArgs('')).toEqual([]);
  });
});

describe('nginxWorkers', () => {
  it('lists the workers of one master with the worker user', () => {
    expect(nginxWorkers(ps, 11276)).toEqual([
      { pid: 11293, ppid: 11276, user: 'www-data', args: 'nginx: worker process' },
      { pid: 11294, ppid: 11276, user: 'www-data', args: 'nginx: worker process' },
    ]);
    expect(nginxWorkers(ps, 11281).map((w) => [w.pid, w.user])).toEqual([[11283, 'nobody']]);
  });

  it('counts a worker that is shutting down after a reload', () => {
    const reload = parsePs(fixture('ps-nginx-reload-shutting-down.txt'));
    expect(nginxWorkers(reload, 11276).map((w) => w.pid)).toEqual([11937, 11978, 11979]);
  });

  it('not this: cache manager and loader, other masters children, php-fpm pools', () => {
    const pids = nginxWorkers(ps, 11276).map((w) => w.pid);
    expect(pids).not.toContain(11296);
    expect(pids).not.toContain(11297);
    expect(pids).not.toContain(11283);
    expect(nginxWorkers(ps, 11275)).toEqual([]);
  });
});
