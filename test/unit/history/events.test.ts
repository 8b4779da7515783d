import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listenOverflows, logEvents, oomKills, unstampedCrashes } from '../../../src/history/events.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/history/${name}`, import.meta.url), 'utf8');

describe("the backend's side, from logs captured in the lab", () => {
  it('gunicorn: a master shutting down and a new one starting', () => {
    expect(logEvents(fixture('restart-window/shop__error.log'), 'gunicorn', 2026).map((e) => [e.kind, new Date(e.time).toISOString()])).toEqual([
      ['restart', '2026-12-06T11:51:28.000Z'],
      ['stop', '2026-12-06T11:51:28.000Z'],
      ['restart', '2026-12-06T11:51:29.000Z'],
    ]);
  });

  it("a Python traceback without time stamps (supervisord's stderr_logfile) is the crash's own line for the developer", () => {
    expect(unstampedCrashes(fixture('crash-loop/api__err.log'), 2026).at(-1)).toBe(
      'Traceback (most recent call last): |   File "/srv/api/server.py", line 5, in <module> | RuntimeError: settings missing DATABASE_URL',
    );
  });

  it('the kernel OOM kill of a memory-limited cgroup, placed at the clock time from uptime', () => {
    const now = Date.UTC(2026, 11, 6, 11, 53, 0);
    const [kill, ...more] = oomKills(fixture('dmesg-memcg-oom-python3.txt'), 17473.72, now);
    expect(more).toEqual([]);
    expect(kill?.line).toBe('Memory cgroup out of memory: Killed process 23345 (python3)');
    expect(kill?.time).toBe(now - Math.round((17473.72 - 17470.545618) * 1000));
  });

  it('ListenOverflows from /proc/net/netstat', () => {
    expect(listenOverflows('TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 7 7\nIpExt: InNoRoutes\nIpExt: 0\n')).toBe(7);
    expect(listenOverflows('IpExt: InNoRoutes\nIpExt: 0\n')).toBeNull();
  });
});

describe("pm2's own log, captured in the lab (a Node app that dies of SIGSEGV on /crash)", () => {
  it('the app exiting on a signal is a crash, and pm2 starting it again a restart; "online" lines are neither', () => {
    const events = logEvents(fixture('pm2-crash/root__.pm2__pm2.log'), '/root/.pm2/pm2.log', 2026);
    expect(events.map((e) => [e.kind, e.line.replace(/^\S+ /, '')])).toEqual([
      ['restart', 'PM2 log: App [api:0] starting in -fork mode-'],
      ['exit', 'PM2 log: App [api:0] exited with code [0] via signal [SIGSEGV]'],
      ['restart', 'PM2 log: App [api:0] starting in -fork mode-'],
    ]);
  });
});

describe("gunicorn's own error log, captured in the lab (a worker killed by SIGSEGV on /crash)", () => {
  it('the worker killed by a signal is a crash, once; its master booting a new worker is not a restart', () => {
    const events = logEvents(fixture('worker-crash/shop__error.log'), '/var/log/shop/error.log', 2026);
    expect(events.filter((e) => e.kind !== 'restart').map((e) => [e.kind, e.line.replace(/^\[[^\]]*\] /, '')])).toEqual([
      ['child-killed', '[54] [WARNING] Worker with pid 57 was terminated due to signal 11'],
    ]);
  });

  it("supervisord's SIGKILL exit is one event, not also a crash line", () => {
    const events = logEvents(fixture('oom-kill/supervisor__supervisord.log'), 'supervisord', 2026);
    expect(events.filter((e) => /SIGKILL/.test(e.line)).map((e) => e.kind)).toEqual(['exit']);
  });
});
