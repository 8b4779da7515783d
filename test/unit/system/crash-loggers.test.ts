import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crashLines, lineTime, loggerStamp, logFilesInArgs, parseUtcOffset } from '../../../src/system/backend-logs.js';
import { parseServiceDefs } from '../../../src/system/service-defs.js';
import { text } from '../checks/closed-fixture.js';

/**
 * Crash lines as the crashing stacks' own loggers wrote them in the lab (src/live/stacks-crash.ts): svlogd -tt
 * and s6-log t put their stamp before the program's line; pm2 gives up on an app that throws at start; a
 * Python API logs to the file its /etc/default options name.
 */

const YEAR = 2026;
const ALL = { from: -Infinity, to: Infinity };
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number) => Date.UTC(y, mo - 1, d, h, mi, s);

describe("a supervision logger's stamp", () => {
  it("svlogd -tt: the UTC stamp is taken off, the program's own line stays", () => {
    const first = text('svlogd-tt-segfault.current').split('\n')[0]!;
    expect(loggerStamp(first)).toEqual({ text: '2026-12-06 15:01:33,439 INFO listening on 127.0.0.1:8002', time: utc(2026, 12, 6, 15, 1, 33) });
  });

  it("s6-log t: the TAI64N label is the same second as the program's own stamp (TAI is 37 s ahead of UTC)", () => {
    for (const line of text('s6-log-tai64n-segfault.current').split('\n').slice(0, 2)) {
      const stamped = loggerStamp(line);
      expect(stamped.time).toBe(lineTime(stamped.text, YEAR));
    }
  });

  it('not this: a line with no logger stamp is left as it is', () => {
    expect(loggerStamp('Fatal Python error: Segmentation fault')).toEqual({ text: 'Fatal Python error: Segmentation fault', time: null });
    expect(loggerStamp('2026-12-06 15:01:33,439 INFO GET /crash').time).toBeNull();
  });

  it('date +%z: the wall clock against UTC', () => {
    expect(parseUtcOffset('+0000\n')).toBe(0);
    expect(parseUtcOffset('+0130')).toBe(90 * 60_000);
    expect(parseUtcOffset('-0500')).toBe(-5 * 3600_000);
    expect(parseUtcOffset('garbage')).toBe(0);
  });
});

describe('crash lines behind a logger stamp', () => {
  it("svlogd's current: Python's fault handler and the frame it names, placed at svlogd's time", () => {
    const [crash, ...rest] = crashLines(text('svlogd-tt-segfault.current'), ALL, YEAR);
    expect(rest).toEqual([]);
    expect(crash).toMatchObject({ kind: 'fatal', time: utc(2026, 12, 6, 15, 1, 33) });
    expect(crash!.lines[0]).toBe('Fatal Python error: Segmentation fault');
    expect(crash!.lines).toContain('  File "/srv/shop-api/server.py", line 22 in do_GET');
  });

  it("the same stamps on a box whose wall clock is UTC+1: placed an hour later, as nginx's times would be", () => {
    const [crash] = crashLines(text('svlogd-tt-segfault.current'), ALL, YEAR, 3600_000);
    expect(crash!.time).toBe(utc(2026, 12, 6, 16, 1, 33));
  });

  it("s6-log's current: three tracebacks at start, each ending in the exception", () => {
    const crashes = crashLines(text('s6-log-tai64n-start-traceback.current'), ALL, YEAR);
    expect(crashes).toHaveLength(3);
    for (const c of crashes) {
      expect(c.kind).toBe('traceback');
      expect(c.lines).toEqual(['Traceback (most recent call last):', '  File "/srv/shop-api/server.py", line 13, in <module>', 'RuntimeError: settings missing DATABASE_URL']);
    }
    expect(crashes[0]!.time! < crashes[2]!.time!).toBe(true);
  });

  it('not this: the window leaves out crashes logged before it', () => {
    const after = utc(2026, 12, 6, 15, 2, 0);
    expect(crashLines(text('svlogd-tt-segfault.current'), { from: after, to: Infinity }, YEAR)).toEqual([]);
  });
});

describe('pm2 giving up on an app that throws at start', () => {
  it('pm2.log: three exits, then "had too many unstable restarts", read as pm2 giving up', () => {
    const crashes = crashLines(text('pm2-daemon-errored.log'), ALL, YEAR);
    expect(crashes.map((c) => c.kind)).toEqual(['exit', 'exit', 'exit', 'gave-up']);
    expect(crashes.at(-1)).toEqual({
      kind: 'gave-up',
      lines: ['2026-12-06T15:01:41: PM2 log: Script /srv/api/server.js had too many unstable restarts (3). Stopped. "errored"'],
      time: utc(2026, 12, 6, 15, 1, 41),
    });
  });

  it("the app's error log: the exception and its first frame, each start", () => {
    const crashes = crashLines(text('pm2-app-error-at-start.log'), ALL, YEAR);
    expect(crashes).toHaveLength(3);
    expect(crashes[0]!.lines).toEqual(['Error: settings missing DATABASE_URL', '    at Object.<anonymous> (/srv/api/server.js:2:38)']);
  });

  it('not this: a pm2 stop (code 0, no signal) and its restarts are no crash', () => {
    expect(crashLines('2026-12-06T15:01:37: PM2 log: App [api:0] exited with code [0] via signal [SIGINT]\n2026-12-06T15:01:37: PM2 log: App [api:0] starting in -fork mode-', ALL, YEAR)).toEqual([]);
  });
});

describe('the log an init script gives its program', () => {
  it('/etc/default/shop-api DAEMON_OPTS="... --log FILE": the file, without the shell quote', () => {
    const defs = parseServiceDefs(readFileSync(new URL('../../fixtures/service/service-defs-init-default-opts.txt', import.meta.url), 'utf8'), { kind: 'tcp', port: 8001 });
    expect(defs).toEqual([{ kind: 'sysv', name: 'shop-api', file: '/etc/default/shop-api', line: 'DAEMON_OPTS="--port 8001 --log /var/log/shop-api/api.log"', logs: ['/var/log/shop-api/api.log'] }]);
  });

  it("quoted and joined spellings of a program's log option", () => {
    expect(logFilesInArgs("DAEMON_OPTS='--log=/var/log/a.log'")).toEqual(['/var/log/a.log']);
    expect(logFilesInArgs('DAEMON_OPTS="--log /var/log/c.log --port 8001"')).toEqual(['/var/log/c.log']);
    expect(logFilesInArgs('LOG=/var/log/d.log')).toEqual([]);
    expect(logFilesInArgs("--log='/var/log/a.log'")).toEqual(['/var/log/a.log']);
    expect(logFilesInArgs('--logfile /var/log/b.log;')).toEqual(['/var/log/b.log']);
  });

  it("the API's own log: its request line stamps the fault handler's lines below it", () => {
    const [crash] = crashLines(text('python-log-file-segfault.log'), ALL, YEAR);
    expect(crash).toMatchObject({
      kind: 'fatal',
      lines: ['Fatal Python error: Segmentation fault', '  File "/usr/lib/python3.11/ctypes/__init__.py", line 519 in string_at', '  File "/srv/shop-api/server.py", line 22 in do_GET'],
    });
    expect(crash!.time).toBe(utc(2026, 12, 6, 15, 1, 32));
  });
});
