import { describe, expect, it } from 'vitest';
import { waitInBox } from './lab/box.js';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { gunicornFatal, initScriptCrashing, pm2Errored, runitCrashing, s6Crashing } from './lab/stacks-crash.js';
import type { Stack } from './lab/stacks.js';

/**
 * Backends that crash, on the stacks that lack the crash's own evidence otherwise: an init script with its
 * /etc/default file, runit, s6, and pm2 giving up on an app (errored). Each crash is real; the diagnosis
 * must quote the crash's line and name the log file it was read from. The cause is what nginx meets (DESIGN):
 * backend-crashed where the backend accepted and dropped the request, backend-down or socket-missing where it
 * is not running because it died (the crash is why).
 */

const { use, inBox } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;

type Report = { diagnosis: { cause: string; explanation: string; evidence: { node: string; lines: string[] }[] }; fix: { commands: string[]; notes: string[] } };
const nodeLines = (report: Report, node: string) =>
  report.diagnosis.evidence
    .filter((e) => e.node === node)
    .flatMap((e) => e.lines)
    .join('\n');

/** One GET through the box's nginx; its status (curl gives up after 10 s). */
const get = (stack: Stack, url: string) => stack.box.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '10', url]);
const listening = (port: number) => ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`];

/** A segfault on /crash, nothing started it again: the crash read from the file /etc/default's options name. */
function expectInitDown(report: Report) {
  expect(report.diagnosis.cause, path(report as never)).toBe('backend-down');
  expect(path(report as never)).toContain('backend-down-service:sysv down-crash:crashed');
  expect(report.diagnosis.explanation).toContain("the init script shop-api's log /var/log/shop-api/api.log says: Fatal Python error: Segmentation fault");
  const evidence = nodeLines(report, 'down-crash');
  expect(evidence).toContain('/etc/default/shop-api (the init script shop-api) names its log: /var/log/shop-api/api.log');
  expect(evidence).toMatch(/File "\/srv\/shop-api\/server\.py", line \d+ in do_GET/);
  expect(report.fix.commands).toEqual(['service shop-api start']);
  expect(report.fix.notes.join('\n')).toContain('the same kind of request kills it again');
}

/** Dies at start under runit or s6: the traceback's last line from svlogd's or s6-log's current; no start or restart offered. */
function expectLoop(report: Report, manager: 'runit' | 's6', who: string) {
  const service = manager === 'runit' ? "runit's service" : "s6's service";
  expect(report.diagnosis.cause, path(report as never)).toBe('backend-down');
  expect(path(report as never)).toContain(`backend-down-service:${manager} down-crash:crash-loop`);
  expect(report.diagnosis.explanation).toContain(`${service} shop-api dies as soon as it starts; ${who} starts it again and again`);
  expect(report.diagnosis.explanation).toContain('/var/log/shop-api/current says: RuntimeError: settings missing DATABASE_URL');
  expect(nodeLines(report, 'down-crash')).toContain('File "/srv/shop-api/server.py", line 13, in <module>');
  expect(report.fix.commands).toEqual([]);
  expect(report.fix.notes.join('\n')).toContain('Do not restart it to fix this');
}

/** pm2 gave up: its app's error log line, pm2.log's "errored" line, no start offered as the fix. */
function expectPm2Errored(report: Report) {
  expect(report.diagnosis.cause, path(report as never)).toBe('backend-down');
  expect(path(report as never)).toContain('backend-down-service:pm2 down-crash:crash-loop');
  expect(report.diagnosis.explanation).toMatch(/pm2 started it again \d+ times?, then gave up on it \(status errored\)/);
  expect(report.diagnosis.explanation).toContain('/root/.pm2/logs/api-error.log says: Error: settings missing DATABASE_URL');
  const evidence = nodeLines(report, 'down-crash');
  expect(evidence).toContain('Script /srv/api/server.js had too many unstable restarts (3). Stopped. "errored"');
  expect(evidence).toContain('at Object.<anonymous> (/srv/api/server.js:2:');
  expect(report.fix.commands).toEqual([]);
  expect(report.fix.notes.join('\n')).toContain('once the cause is fixed, start it again (env PM2_HOME=/root/.pm2 pm2 restart api)');
}

describe('an init script with /etc/default: the log named by the options it gives the program', () => {
  it("killed by a request (SIGSEGV) and not started again: backend-down, with the fault line from /etc/default's --log file; started, applied and verified", async () => {
    const stack = await use(initScriptCrashing({ respawn: false }));
    expect(get(stack, 'http://api.example/crash')).toBe('502');
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expectInitDown(report);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('killed by the request and started again a second later by its script\'s loop: the crash read from the log its argv names, not "no sign"', async () => {
    const stack = await use(initScriptCrashing({ respawn: true }));
    expect(get(stack, 'http://api.example/crash')).toBe('502');
    await waitInBox(stack.box, listening(8001), 'the loop starting it again');
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(path(report)).toContain('closed-crash:crashed');
    expect(report.diagnosis.explanation).toContain('/var/log/shop-api/api.log says: Fatal Python error: Segmentation fault');
    expect(report.fix.commands).toContain('tail -n 200 -- /var/log/shop-api/api.log');
  });
});

describe("runit and s6: the log from the service's log/run (svlogd, s6-log), its stamps read", () => {
  it("runit: killed by the request, runsv starts it again: the fault line from svlogd's current", async () => {
    const stack = await use(runitCrashing({ broken: false }));
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(report.diagnosis.explanation).toContain('/var/log/shop-api/current says: Fatal Python error: Segmentation fault');
    expect(nodeLines(report, 'closed-crash')).toContain("(runit's service shop-api) names its log: /var/log/shop-api/current");
  });

  it("s6: killed by the request, s6-supervise starts it again: the fault line from s6-log's current (TAI64N stamps)", async () => {
    const stack = await use(s6Crashing({ broken: false }));
    const { report } = await inBox(stack, ['--json', '--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(report.diagnosis.explanation).toContain('/var/log/shop-api/current says: Fatal Python error: Segmentation fault');
  });

  it('runit: the run script dies at start and runsv starts it every second: a crash loop, its traceback, no restart offered; apply changes nothing', async () => {
    const stack = await use(runitCrashing({ broken: true }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expectLoop(report, 'runit', "runit's runsv");
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix.applied).toBe(false);
  });

  it('s6: the run script dies at start and s6-supervise starts it every second: a crash loop, its traceback, no restart offered', async () => {
    const stack = await use(s6Crashing({ broken: true }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expectLoop(report, 's6', "s6's s6-supervise");
  });
});

describe("pm2's errored state: an app that throws at start until pm2 gives up", () => {
  it('a crash loop, not "start it": the app\'s error line and pm2.log\'s "errored"; apply changes nothing', async () => {
    const stack = await use(pm2Errored());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expectPm2Errored(report);
    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix.applied).toBe(false);
  });
});

/** supervisord gave up on gunicorn (FATAL): its socket is gone; the traceback's exception and the app's own frame from --error-logfile. */
function expectFatal(report: Report) {
  expect(report.diagnosis.cause, path(report as never)).toBe('socket-missing');
  expect(path(report as never)).toContain('socket-missing-service:supervisor socket-missing-crash:crash-loop');
  expect(report.diagnosis.explanation).toContain("supervisord's program shop dies as soon as it starts; supervisord started it again until it gave up (state FATAL)");
  expect(report.diagnosis.explanation).toContain("/var/log/shop/error.log says: KeyError: 'DATABASE_URL'");
  const evidence = nodeLines(report, 'socket-missing-crash');
  expect(evidence).toContain("supervisord's program shop: FATAL");
  expect(evidence).toContain('File "/srv/shop/app.py", line 3, in <module>');
  expect(report.fix.commands).toEqual([]);
  expect(report.fix.notes.join('\n')).toContain('Once the cause is fixed, start it (supervisorctl restart shop)');
}

describe('supervisord FATAL: gunicorn whose app raises at import, on its unix socket', () => {
  it('a crash loop that supervisord gave up on: the exception from --error-logfile, no start offered', async () => {
    const stack = await use(gunicornFatal());
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expectFatal(report);
  }, 60_000);
});

describe('the same crashes read over SSH', () => {
  it('init script: the fault line from the --log file /etc/default names; started over SSH, applied and verified', async () => {
    const stack = await use(initScriptCrashing({ respawn: false }));
    expect(get(stack, 'http://api.example/crash')).toBe('502');
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expectInitDown(report);
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });

  it('init script with its loop: the crash read from the log file named, over SSH', async () => {
    const stack = await use(initScriptCrashing({ respawn: true }));
    expect(get(stack, 'http://api.example/crash')).toBe('502');
    await waitInBox(stack.box, listening(8001), 'the loop starting it again');
    const { report } = await overSsh(stack, ['--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(report.diagnosis.explanation).toContain('/var/log/shop-api/api.log says: Fatal Python error: Segmentation fault');
  });

  it("runit: killed by the request, svlogd's current read over SSH", async () => {
    const stack = await use(runitCrashing({ broken: false }));
    const { report } = await overSsh(stack, ['--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(report.diagnosis.explanation).toContain('/var/log/shop-api/current says: Fatal Python error: Segmentation fault');
  });

  it("s6: killed by the request, s6-log's current read over SSH", async () => {
    const stack = await use(s6Crashing({ broken: false }));
    const { report } = await overSsh(stack, ['--url', 'http://api.example/crash']);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(report.diagnosis.explanation).toContain('/var/log/shop-api/current says: Fatal Python error: Segmentation fault');
  });

  it('runit crash loop at start, over SSH', async () => {
    const stack = await use(runitCrashing({ broken: true }));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expectLoop(report, 'runit', "runit's runsv");
  });

  it('s6 crash loop at start, over SSH', async () => {
    const stack = await use(s6Crashing({ broken: true }));
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expectLoop(report, 's6', "s6's s6-supervise");
  });

  it('supervisord FATAL, over SSH', async () => {
    const stack = await use(gunicornFatal());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expectFatal(report);
  }, 60_000);

  it('pm2 errored, over SSH', async () => {
    const stack = await use(pm2Errored());
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expectPm2Errored(report);
  });
});
