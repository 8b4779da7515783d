import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crashLines, kernelCrashLines, lineTime, logFilesInArgs, logFilesOf, nginxTime, parseFdLinks, parsePsAges, parseUptime } from '../../../src/system/backend-logs.js';
import { run, text } from '../checks/closed-fixture.js';

const at = (s: string) => nginxTime(s)!;
const since = (s: string) => ({ from: at(s), to: at('2026/11/21 23:59:59') });
const YEAR = 2026;

describe('log files a process holds open', () => {
  it('php-fpm: its error_log (stderr and its own descriptor) and where its stdout went', () => {
    const links = parseFdLinks(run('fd-php-fpm-master').stdout);
    expect(links).toContainEqual({ fd: 2, target: '/tmp/cc/fpm/php-fpm.log' });
    expect(logFilesOf(links)).toEqual(['/tmp/cc/fpm/php-fpm.log', '/tmp/cc/fpm/stdout.log']);
  });

  it('a python supervisor writing stdout and stderr to one file', () => {
    expect(logFilesOf(parseFdLinks(run('fd-python-supervisor').stdout))).toEqual(['/tmp/cc/crash.log']);
  });

  it('not this: sockets, pipes, /dev/null and deleted files are no logs', () => {
    const links = parseFdLinks(run('fd-php-fpm-master').stdout);
    expect(links.some((l) => l.target.endsWith('(deleted)'))).toBe(true);
    expect(logFilesOf(links).some((f) => /deleted|socket|pipe|\/dev\//.test(f))).toBe(false);
  });
});

describe('process ages', () => {
  it('reads pid, parent, seconds running and the command line', () => {
    const ages = parsePsAges(text('ps-ages-lab.txt'));
    expect(ages.find((p) => p.pid === 31560)).toEqual({ pid: 31560, ppid: 1, seconds: 633, args: 'php-fpm: master process (/tmp/cc/fpm/php-fpm.conf)' });
    expect(ages.find((p) => p.pid === 2)?.args).toBe('[kthreadd]');
  });
});

describe('time stamps in log lines', () => {
  it('reads the formats of php-fpm, python, nginx, access logs and syslog', () => {
    const want = at('2026/11/21 13:19:45');
    expect(lineTime('[21-Nov-2026 13:19:45] WARNING: [pool www] child 31596 exited', YEAR)).toBe(want);
    expect(lineTime('2026-11-21 13:19:45 supervisor: worker 6104 died', YEAR)).toBe(want);
    expect(lineTime('2026/11/21 13:19:45 [error] 1#1: *5 upstream', YEAR)).toBe(want);
    expect(lineTime('127.0.0.1 - - [21/Nov/2026 13:19:45] "GET / HTTP/1.1" 200 -', YEAR)).toBe(want);
    expect(lineTime('Nov 21 13:19:45 web1 app[12]: started', YEAR)).toBe(want);
    expect(lineTime('  File "/x.py", line 5, in do_GET', YEAR)).toBeNull();
  });
});

describe('crash lines in a backend log', () => {
  it('php-fpm: children killed by SIGKILL and SIGSEGV, since the given time', () => {
    const all = crashLines(text('php-fpm-kill-segv.log'), since('2026/11/21 13:00:00'), YEAR);
    expect(all.map((c) => c.signal)).toEqual(['SIGKILL', 'SIGSEGV', 'SIGKILL']);
    expect(all[0]).toMatchObject({ kind: 'signal', time: at('2026/11/21 13:19:45') });
    expect(all[0]!.lines[0]).toContain('child 31596 exited on signal 9 (SIGKILL)');
    const recent = crashLines(text('php-fpm-kill-segv.log'), since('2026/11/21 13:24:00'), YEAR);
    expect(recent).toHaveLength(1);
    expect(recent[0]!.lines[0]).toContain('child 3889 exited on signal 9');
  });

  it('not this: children recycled after max_requests (code 0) and a graceful reload', () => {
    expect(crashLines(text('php-fpm-recycle-reload.log'), since('2026/11/21 13:00:00'), YEAR)).toEqual([]);
  });

  it("python: the fault handler's fatal error with the frame that crashed, and the supervisor's note", () => {
    const found = crashLines(text('python-supervisor-segfault.log'), since('2026/11/21 13:24:00'), YEAR);
    expect(found.map((c) => c.kind)).toEqual(['fatal', 'signal']);
    expect(found[0]!.lines[0]).toBe('Fatal Python error: Segmentation fault');
    expect(found[0]!.lines.join('\n')).toContain('in string_at');
    expect(found[1]).toMatchObject({ signal: 'SIGSEGV', time: at('2026/11/21 13:24:53') });
    // The first crash (13:20) took the time of the line above it and is before the window.
    expect(crashLines(text('python-supervisor-segfault.log'), since('2026/11/21 13:00:00'), YEAR)).toHaveLength(4);
    // Crashes after the window did not cause the error.
    expect(crashLines(text('python-supervisor-segfault.log'), { from: at('2026/11/21 13:19:00'), to: at('2026/11/21 13:21:00') }, YEAR)).toHaveLength(2);
  });

  it('python: a traceback in a log without time stamps, with its last frame and exception', () => {
    const [found, ...rest] = crashLines(text('python-traceback-no-timestamps.log'), since('2026/11/21 13:27:00'), YEAR);
    expect(rest).toEqual([]);
    expect(found).toMatchObject({ kind: 'traceback', time: null });
    expect(found!.lines).toEqual(['Traceback (most recent call last):', '  File "/tmp/cc/exc.py", line 5, in do_GET', "KeyError: 'customer_id'"]);
  });

  it('not this: access lines, even of a 400 to binary garbage', () => {
    expect(crashLines(text('python-http-access.log'), since('2026/11/21 13:00:00'), YEAR)).toEqual([]);
  });
});

describe("the kernel's crash lines", () => {
  const dmesg = text('dmesg-segfaults.txt');
  it('names a segfault of the backend by its process name', () => {
    expect(kernelCrashLines(dmesg, ['python3'])).toEqual([expect.objectContaining({ name: 'python3', pid: 2003, kind: 'segfault', uptime: 1664.081375 })]);
    expect(kernelCrashLines(dmesg, ['node'])).toHaveLength(3);
  });

  it("not this: other programs' crashes, and the Code: lines", () => {
    expect(kernelCrashLines(dmesg, ['php-fpm8.2'])).toEqual([]);
  });

  it('places lines in time with /proc/uptime', () => {
    expect(parseUptime(text('uptime.txt'))).toBe(1704.38);
    expect(parseUptime('')).toBeNull();
  });
});

describe('log files named by a process arguments', () => {
  it('reads gunicorn, uwsgi and app options, with a space or an =', () => {
    expect(logFilesInArgs('/usr/bin/python3 /usr/bin/gunicorn --workers 3 --error-logfile /var/log/shop/error.log --bind unix:/run/shop.sock shop.wsgi')).toEqual(['/var/log/shop/error.log']);
    expect(logFilesInArgs('uwsgi --ini /etc/uwsgi/apps-enabled/app.ini --logto=/var/log/uwsgi/app.log --daemonize /var/log/uwsgi/d.log')).toEqual(['/var/log/uwsgi/app.log', '/var/log/uwsgi/d.log']);
    expect(logFilesInArgs('node /srv/api/server.js --port 3000 --log /var/log/api/api.log')).toEqual(['/var/log/api/api.log']);
  });

  it('not this: relative paths, devices, other options and a bare flag at the end', () => {
    expect(logFilesInArgs('gunicorn --error-logfile - app:app')).toEqual([]);
    expect(logFilesInArgs('gunicorn --log-file logs/app.log --access-logfile /var/log/a.log app:app')).toEqual([]);
    expect(logFilesInArgs('app --log /dev/stderr --config /etc/app.conf --log')).toEqual([]);
  });
});

describe("gunicorn's own log (captured: Debian's gunicorn 20.1 under supervisord, a worker killed by SIGSEGV)", () => {
  const log = text('gunicorn-worker-sigsegv.log');
  it('names the signal, at the time of the line', () => {
    const found = crashLines(log, { from: at('2026/12/06 09:46:00'), to: at('2026/12/06 09:48:00') }, 2026);
    expect(found).toEqual([
      { kind: 'signal', signal: 'SIGSEGV', lines: ['[2026-12-06 09:47:00 +0000] [53] [WARNING] Worker with pid 56 was terminated due to signal 11'], time: at('2026/12/06 09:47:00') },
    ]);
  });

  it('not this: booting workers, or the same crash an hour before the error', () => {
    expect(crashLines(log, { from: at('2026/12/06 10:46:00'), to: at('2026/12/06 10:48:00') }, 2026)).toEqual([]);
    expect(crashLines(log.replace(/^.*terminated due to signal.*$/m, ''), { from: at('2026/12/06 09:46:00'), to: at('2026/12/06 09:48:00') }, 2026)).toEqual([]);
  });
});

describe("uWSGI's own log (captured: Debian's uwsgi 2.0.21, log-date on, a worker that got SIGSEGV)", () => {
  const log = text('uwsgi-worker-segfault.log');
  it('reads ctime stamps and names the segmentation fault, at its time', () => {
    expect(lineTime('Sun Dec  6 09:56:34 2026 - spawned uWSGI master process (pid: 154)', 2025)).toBe(at('2026/12/06 09:56:34'));
    const found = crashLines(log, { from: at('2026/12/06 09:55:00'), to: at('2026/12/06 09:58:00') }, 2026);
    expect(found.map((f) => f.lines[0])).toEqual(['Sun Dec  6 09:56:34 2026 - !!! uWSGI process 165 got Segmentation Fault !!!']);
    expect(found[0]?.time).toBe(at('2026/12/06 09:56:34'));
  });

  it('not this: the start-up lines, or a window a day later', () => {
    expect(crashLines(log, { from: at('2026/12/07 09:55:00'), to: at('2026/12/07 09:58:00') }, 2026)).toEqual([]);
    expect(crashLines(log.split('\n').slice(0, 30).join('\n'), { from: at('2026/12/06 09:55:00'), to: at('2026/12/06 09:58:00') }, 2026)).toEqual([]);
  });
});

describe("pm2's daemon log (captured: pm2 7.0.4; app api killed by SIGSEGV, app thrower dying of an uncaught exception, then pm2 stop api)", () => {
  const log = text('pm2-daemon.log');
  const window = { from: at('2026/12/06 12:24:00'), to: at('2026/12/06 12:25:00') };
  it('names the signal of one crash and the exit code of the other, at their times', () => {
    expect(crashLines(log, window, YEAR)).toEqual([
      { kind: 'signal', signal: 'SIGSEGV', lines: ['2026-12-06T12:24:03: PM2 log: App [api:0] exited with code [0] via signal [SIGSEGV]'], time: at('2026/12/06 12:24:03') },
      { kind: 'exit', lines: ['2026-12-06T12:24:03: PM2 log: App [thrower:1] exited with code [1] via signal [SIGINT]'], time: at('2026/12/06 12:24:03') },
    ]);
  });

  it('not this: an app stopped with pm2 stop (code 0, SIGINT)', () => {
    expect(crashLines(log.split('\n').slice(16).join('\n'), window, YEAR)).toEqual([]);
  });
});

describe("a Node app's error log under pm2 (captured: pm2 7.0.4, an uncaught exception; no time stamps)", () => {
  it('names the exception and where it was thrown', () => {
    expect(crashLines(text('pm2-app-error.log'), { from: 0, to: Number.MAX_SAFE_INTEGER }, YEAR)).toEqual([
      { kind: 'fatal', lines: ['Error: boom', '    at Server.<anonymous> (/srv/api/throw.js:1:77)'], time: null },
    ]);
  });

  it('not this: the same line without the stack under it (an app that logs an error and goes on)', () => {
    const head = text('pm2-app-error.log').split('\n').slice(0, 1).join('\n');
    expect(crashLines(head, { from: 0, to: Number.MAX_SAFE_INTEGER }, YEAR)).toEqual([]);
  });
});

describe("uWSGI's harakiri, as its master logs it through supervisord (captured)", () => {
  const log = readFileSync(new URL('../../fixtures/service/uwsgi-supervisord-harakiri.log', import.meta.url), 'utf8');

  it('the HARAKIRI line is a terminated request, timed by its ctime stamp, found before the kill is reaped', () => {
    const beforeReap = log
      .split('\n')
      .filter((l) => !l.startsWith('DAMN') && !l.startsWith('Respawned'))
      .join('\n');
    const found = crashLines(beforeReap, { from: at('2026/12/06 15:24:00'), to: at('2026/12/06 15:25:00') }, YEAR);
    expect(found).toEqual([{ kind: 'terminated', lines: ['Sun Dec  6 15:24:12 2026 - *** HARAKIRI ON WORKER 1 (pid: 78, try: 1) ***'], time: at('2026/12/06 15:24:12') }]);
  });

  it('the startup warning about harakiri without post buffering is not one', () => {
    expect(crashLines(log.split('\n').slice(0, 30).join('\n'), { from: 0, to: Number.MAX_SAFE_INTEGER }, YEAR)).toEqual([]);
  });
});
