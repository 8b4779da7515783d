import { describe, expect, it } from 'vitest';
import {
  crashLoopUnderSupervisor,
  deadServerBehindLiveOne,
  firewallBlip,
  hungEarlier,
  listenQueueOverflow,
  oomKillEarlier,
  pm2CrashEarlier,
  restartWindow,
  saturatedPoolEarlier,
  slowEndpointEarlier,
  unloggedGap,
  workerCrashEarlier,
} from './lab/history-situations.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { runCli } from './lab/badgateway.js';
import { pathOf, stackScope } from './lab/stack-run.js';

/** The OOM kill's episode without --url: the replay of GET /hog answers now, history tells the kill. */
function expectOomHistory(report: any) {
  expect(report.diagnosis.cause, pathOf(report)).toBe('backend-crashed');
  expect(pathOf(report)).toContain('closed-crash:crashed crash-now:over history:oom-kill');
  expect(report.diagnosis.transient).toBe(true);
  const newest = report.history.episodes.at(-1);
  expect(newest).toMatchObject({ story: 'oom-kill', location: '/hog', upstream: '127.0.0.1:8000', count: 1 });
  expect(newest.first).toBe(newest.last);
  expect(newest.first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  expect(newest.evidence.join('\n')).toMatch(/kernel: Memory cgroup out of memory: Killed process \d+ \(python3\)/);
  expect(report.history.markers.map((m: { kind: string }) => m.kind)).toContain('oom-kill');
  expect(report.history.per_minute.reduce((n: number, m: { '502': number }) => n + m['502'], 0)).toBe(1);
}

/** The saturated pool's episodes without --url: two 504s each on /report.php and /index.php, php-fpm's warning tied to them. */
function expectSaturatedHistory(report: any) {
  expect(report.history.episodes.map((e: { location: string; count: number; story: string }) => [e.location, e.count, e.story])).toEqual([
    ['/report.php', 2, 'saturated'],
    ['/index.php', 2, 'saturated'],
  ]);
  const newest = report.history.episodes.at(-1);
  expect(newest.first < newest.last).toBe(true);
  expect(newest.evidence.join('\n')).toContain('server reached pm.max_children setting (2)');
  expect(report.history.per_minute.reduce((n: number, m: { '504': number }) => n + m['504'], 0)).toBe(4);
  expect(report.history.markers.map((m: { kind: string }) => m.kind)).toContain('max-children');
}

/** Six at once: one served, some waited in the queue, the rest turned away; then two more turned away; then 200. */
function expectQueueLoad(statuses: string[], failed = '502') {
  const concurrent = statuses.slice(0, 6);
  expect(concurrent.filter((s) => s === failed).length).toBeGreaterThanOrEqual(2);
  expect(concurrent.filter((s) => s === '200').length).toBeGreaterThanOrEqual(1);
  expect(statuses.slice(6)).toEqual([failed, failed, '200']);
}

/**
 * The overflow's episodes without --url: nginx's lines on /slow and on / (EAGAIN on the unix socket; on TCP a
 * connect timeout while the kernel counts ListenOverflows), the queue's size as ss shows it now.
 */
function expectQueueHistory(report: any, statuses: string[], tcp = false) {
  expect(pathOf(report)).toContain(tcp ? 'connect-probe:open connect-now:over history:saturated history-fpm:room' : 'socket-queue:room queue-now:over history:saturated history-fpm:room');
  expect(report.diagnosis).toMatchObject({ cause: 'backend-saturated', transient: true });
  const turnedAway = statuses.filter((s) => s === (tcp ? '504' : '502')).length;
  const server = tcp ? '127.0.0.1:8000' : 'unix:/run/api/gunicorn.sock';
  const episodes = report.history.episodes.map((e: any) => [e.location, e.count, e.story, e.upstream]);
  expect(episodes).toEqual([
    ['/slow', turnedAway - 2, 'saturated', server],
    ['/', 2, 'saturated', server],
  ]);
  const newest = report.history.episodes.at(-1);
  expect(newest.first <= newest.last && newest.first >= report.history.episodes[0].first).toBe(true);
  expect(newest.first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  expect(newest.evidence.join('\n')).toContain(tcp ? '(110: Connection timed out) while connecting to upstream' : '(11: Resource temporarily unavailable)');
  expect(report.history.per_minute.reduce((n: number, m: { '502': number; '504': number }) => n + m['502'] + m['504'], 0)).toBe(turnedAway);
  if (tcp) expect(report.diagnosis.explanation).toMatch(/the kernel counted [1-9]\d* listen queue overflows since boot \(ListenOverflows/);
  expect(report.diagnosis.explanation).toContain('queue size 1');
  expect(report.diagnosis.explanation).toContain('--backlog 1');
  expect(report.diagnosis.explanation).toContain('net.core.somaxconn');
  // Never a longer timeout: no value is proposed for one, and nothing is edited.
  expect(report.diagnosis.explanation).not.toMatch(/proxy_(?:read|connect)_timeout \d/);
  expect([report.fix.edits, report.fix.commands]).toEqual([[], []]);
}

/** The hung backend's episodes without --url: / twice and /orders once, in the same spell: it hung, no endpoint was slow. */
function expectHungHistory(report: any) {
  expect(pathOf(report)).toContain('backend-timing:within-timeout history:hung');
  expect(report.diagnosis).toMatchObject({ cause: 'backend-hung', transient: true });
  expect(report.history.episodes.map((e: any) => [e.location, e.count, e.story])).toEqual([
    ['/orders', 1, 'hung'],
    ['/', 2, 'hung'],
  ]);
  const [orders, root] = report.history.episodes;
  expect(root.first < orders.first && orders.first < root.last).toBe(true);
  expect(report.history.per_minute.reduce((n: number, m: { '504': number }) => n + m['504'], 0)).toBe(3);
  expect(report.diagnosis.explanation).toContain('took connections and answered none');
  expect(report.diagnosis.explanation).not.toContain('location = /');
}

/** The dead server behind a live one: history names 127.0.0.1:8002, where nothing listens now: still down, not over. */
function expectStillDown(report: any) {
  expect(report.healthy, pathOf(report)).toBe(false);
  expect(pathOf(report)).toContain('history:still-down');
  expect(report.diagnosis.cause).toBe('backend-down');
  expect(report.diagnosis.transient).toBeUndefined();
  const newest = report.history.episodes.at(-1);
  expect(newest).toMatchObject({ story: 'still-down', upstream: '127.0.0.1:8002', location: '/' });
  // nginx leaves a failed server out for fail_timeout (10 s): one refusal, however many requests came.
  expect(newest.count).toBe(1);
  expect(newest.first).toBe(newest.last);
  expect(report.diagnosis.explanation).toContain('nothing listens there now either');
}

const { use, inBox } = stackScope();
const { overSsh } = sshScope();

/** Past 502s and 504s, diagnosed without --url: request.find picks the newest logged error, its replay answers, history decides. */
describe('history: the 502s are over when badgateway runs', () => {
  it('a restart window: gunicorn stopped under supervisord while requests arrived, then started; supervisord\'s "spawned" ends the episode', async () => {
    const stack = await use(restartWindow());
    expect(stack.statuses).toEqual(['502', '502', '502', '502', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-down');
    expect(report.diagnosis.transient).toBe(true);
    expect(report.steps.at(-1).node).toBe('history');
    const newest = report.history.episodes.at(-1);
    expect(newest).toMatchObject({ cause: 'backend-down', story: 'restart-window', count: 4, upstream: '127.0.0.1:8000', location: '/' });
    expect(newest.evidence.join('\n')).toMatch(/supervisord\.log: .*INFO spawned: 'shop' with pid \d+/);
    expect(report.history.per_minute.reduce((n: number, m: { '502': number }) => n + m['502'], 0)).toBe(4);
    expect(report.diagnosis.explanation).toContain('without a gap');
    // The access log is in nginx's combined format: the report says which upstream fields it lacks.
    expect(report.history.notes.join('\n')).toContain('lacks $upstream_addr, $upstream_status, $upstream_response_time');

    // --since 1s, well after the episode: nothing in the window, the request works: healthy. A recording keeps the window.
    await new Promise((r) => setTimeout(r, 2500));
    const recent = await inBox(stack, ['--json', '--since', '1s', '--record', '/run/since.json']);
    expect(recent.report.healthy, pathOf(recent.report)).toBe(true);
    expect(recent.report.history.episodes).toEqual([]);
    const replayed = await inBox(stack, ['--json', '--replay', '/run/since.json']);
    expect(pathOf(replayed.report)).toBe(pathOf(recent.report));
  });

  it('--since with no duration it can read: a usage error, no stack trace', async () => {
    const run = await runCli(['--json', '--since', 'yesterday']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--since needs a duration such as 30m, 2h or 1d (got yesterday)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a restart window on a unix socket: "No such file" while gunicorn was stopped; the socket is back, history tells', async () => {
    const stack = await use(restartWindow({ socket: true }));
    expect(stack.statuses).toEqual(['502', '502', '502', '502', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(pathOf(report)).toContain('socket-state:ok history:restart-window');
    expect(report.diagnosis).toMatchObject({ cause: 'backend-down', transient: true });
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'restart-window', count: 4, upstream: 'unix:/run/shop/gunicorn.sock', location: '/' });
  });

  it('a crash loop under supervisord: "exited: api (exit status 1; not expected)" again and again; the traceback is named for the developer', async () => {
    const stack = await use(crashLoopUnderSupervisor());
    expect(stack.statuses.at(-1)).toBe('200');
    const { report } = await inBox(stack, ['--json']);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-crashed');
    expect(report.diagnosis.transient).toBe(true);
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'crash-loop', upstream: '127.0.0.1:8000', count: stack.statuses.filter((s: string) => s === '502').length });
    expect(report.diagnosis.explanation).toContain('RuntimeError: settings missing DATABASE_URL');
    expect(report.diagnosis.explanation).toContain('/var/log/api/err.log');
  });

  it('a PHP pool at pm.max_children under real concurrent load: 504s while two reports held both children, over now; never a longer timeout', async () => {
    const stack = await use(saturatedPoolEarlier());
    expect(stack.statuses).toEqual(['504', '504', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(pathOf(report)).toContain('history:saturated history-fpm:saturated');
    expect(report.diagnosis).toMatchObject({ cause: 'backend-saturated', transient: true });
    expect(report.fix.edits.map((e: { after: string }) => e.after).join('\n')).not.toMatch(/fastcgi_read_timeout/);
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: expect.stringMatching(/^pm\.max_children = [3-4]$/) })]);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('server reached pm.max_children setting (2)');
    expectSaturatedHistory(report);
    // Asked about / (which never failed), history finds the same episodes and the same fix.
    const asked = await inBox(stack, ['--json', '--url', 'http://blog.example/']);
    expect(pathOf(asked.report)).toContain('history:saturated history-fpm:saturated');
    const windows = (r: any) => r.history.episodes.map((e: any) => [e.cause, e.location, e.first, e.last, e.count]);
    expect(windows(asked.report)).toEqual(windows(report));
  });

  it('one slow endpoint earlier: /slow timed out twice while a lock held it; the access log has $upstream_status; a per-location timeout is advised', async () => {
    const stack = await use(slowEndpointEarlier());
    expect(stack.statuses).toEqual(['504', '504', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(report.diagnosis.cause, pathOf(report)).toBe('read-timeout');
    expect(report.diagnosis.transient).toBe(true);
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'slow-endpoint', location: '/slow', count: 2 });
    expect(report.history.per_minute.reduce((n: number, m: { '504': number }) => n + m['504'], 0)).toBe(2);
    // This vhost's access log has the upstream fields; only Debian's http-level access.log (combined) lacks them.
    expect(report.history.notes.join('\n')).not.toContain('api.example.access.log');
    expect(report.history.notes.join('\n')).toContain('/var/log/nginx/access.log (log_format combined) lacks');
    expect(report.diagnosis.explanation).toContain('location = /slow { proxy_read_timeout');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('access log: 2 × 504 for /slow; the last: upstream 127.0.0.1:8000 answered 504 after 2.0');
  });

  it('a dead server behind a live one: clients got 200, nginx named 127.0.0.1:8002; the diagnosis names that server, never "healthy"', async () => {
    const stack = await use(deadServerBehindLiveOne());
    expect(stack.statuses).toEqual(['200', '200', '200', '200']);
    const { report } = await inBox(stack, ['--json']);
    expectStillDown(report);
    // With --url the replay reaches the live server and answers 200; half the capacity is still gone.
    const asked = await inBox(stack, ['--json', '--url', stack.url]);
    expectStillDown(asked.report);
  });

  it('an OOM kill in a memory-limited cgroup (v1 memory controller), over now: the kernel\'s "Killed process N (python3)" and supervisord\'s SIGKILL exit', async () => {
    const stack = await use(oomKillEarlier());
    expect(stack.statuses).toEqual(['502', '200']);
    const { report } = await inBox(stack, ['--json']);
    expectOomHistory(report);
    // The Markdown report carries the chart (one 502, an O marker) and the episode's window and count.
    await inBox(stack, ['--json', '--report', '/run/report.md']);
    const md = stack.box.read('/run/report.md');
    const newest = report.history.episodes.at(-1);
    expect(md).toContain('## What happened before');
    expect(md).toMatch(/^502 [^\n]*█[^\n]* {2}1$/m);
    expect(md).toMatch(/^ +[ ·]*O *$/m);
    expect(md).toContain(`| \`backend-crashed\` | \`${newest.first.replace('T', ' ')}\` | \`${newest.last.replace('T', ' ')}\` | 1 | \`127.0.0.1:8000\` | \`/hog\` |`);
  });

  it('a listen queue overflowing under bounded concurrent load: gunicorn --backlog 1 turned nginx away (11: EAGAIN), over now; more workers and a longer queue', async () => {
    const stack = await use(listenQueueOverflow());
    expectQueueLoad(stack.statuses);
    const { report } = await inBox(stack, ['--json']);
    expectQueueHistory(report, stack.statuses);
  });

  it('a backend stopped (SIGSTOP) for a while and continued: every path timed out in the same spell; hung, not one slow endpoint', async () => {
    const stack = await use(hungEarlier());
    expect(stack.statuses).toEqual(['504', '504', '504', '200']);
    const { report } = await inBox(stack, ['--json']);
    expectHungHistory(report);
  });

  it('a TCP listen queue overflowing: the kernel dropped SYNs (ListenOverflows), nginx timed out connecting (504), over now; more workers and a longer queue', async () => {
    const stack = await use(listenQueueOverflow({ tcp: true }));
    expectQueueLoad(stack.statuses, '504');
    const { report } = await inBox(stack, ['--json']);
    expectQueueHistory(report, stack.statuses, true);
  });

  it('a restart no log records: the API started by hand was killed and started again; ps shows when the process listening now started', async () => {
    const stack = await use(unloggedGap());
    expect(stack.statuses).toEqual(['502', '502', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-down');
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'restart-window', count: 2, upstream: '127.0.0.1:8000' });
    expect(report.history.episodes.at(-1).evidence.join('\n')).toMatch(/ps: pid \d+ started [\d-]+ [\d:]+: python3 \/srv\/api\/server\.py 8000/);
    // Started after its server had begun failing: a restart on the chart.
    expect(report.history.markers.map((m: { kind: string }) => m.kind)).toContain('restart');
  });

  it('refused while the backend ran all along (a firewall rule for a moment): no restart or crash explains it, and the report says so', async () => {
    const stack = await use(firewallBlip());
    expect(stack.statuses).toEqual(['502', '502', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-down');
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'unreachable', count: 2 });
    expect(report.diagnosis.explanation).toContain('no log on this box says it restarted or crashed');
    // The backend's own start, before anything failed, is not a restart on the chart.
    expect(report.history.markers).toEqual([]);
  });
});

describe('history of a worker that died', () => {
  it("gunicorn's worker killed by SIGSEGV on /crash: its own --error-logfile line, asked about / (which never failed)", async () => {
    const stack = await use(workerCrashEarlier());
    expect(stack.statuses).toEqual(['502', '200']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-crashed');
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'crash-loop', location: '/crash', count: 1 });
    expect(report.diagnosis.explanation).toMatch(/Worker with pid \d+ was terminated due to signal 11/);
    expect(report.diagnosis.explanation).toContain('tail -n 100 -- /var/log/shop/error.log');
  });
});

describe('history of a Node app under pm2', () => {
  it("the app died of SIGSEGV on /crash and pm2 started it again: pm2's own log tells, asked about / (which never failed)", async () => {
    const stack = await use(pm2CrashEarlier());
    expect(stack.statuses).toEqual(['502', '200']);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-crashed');
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'crash-loop', location: '/crash', count: 1 });
    expect(report.history.episodes.at(-1).evidence.join('\n')).toContain('/root/.pm2/pm2.log: ');
    expect(report.diagnosis.explanation).toContain('exited with code [0] via signal [SIGSEGV]');
  });
});

describe('history over --ssh: every log read on the box through its sshd', () => {
  it('a restart window under supervisord, diagnosed from history without --url', async () => {
    const stack = await use(restartWindow());
    const { report } = await overSsh(stack, []);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-down');
    expect(report.diagnosis.transient).toBe(true);
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'restart-window', count: 4, upstream: '127.0.0.1:8000' });
    expect(report.hosts).toEqual([expect.objectContaining({ role: 'proxy' })]);
  });

  it('a crash loop under supervisord: the traceback read over SSH', async () => {
    const stack = await use(crashLoopUnderSupervisor());
    const { report } = await overSsh(stack, []);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-crashed');
    expect(report.diagnosis.explanation).toContain('RuntimeError: settings missing DATABASE_URL');
  });

  it("an OOM kill, over now: dmesg and supervisord's log read over SSH", async () => {
    const stack = await use(oomKillEarlier());
    const { report } = await overSsh(stack, []);
    expectOomHistory(report);
  });

  it("a PHP pool at pm.max_children, over now: php-fpm's warning read over SSH, pm.max_children sized there", async () => {
    const stack = await use(saturatedPoolEarlier());
    const { report } = await overSsh(stack, []);
    expect(report.diagnosis).toMatchObject({ cause: 'backend-saturated', transient: true });
    expect(report.fix.edits).toEqual([expect.objectContaining({ after: expect.stringMatching(/^pm\.max_children = [3-4]$/) })]);
    expectSaturatedHistory(report);
  });

  it('a dead server behind a live one: nginx named 127.0.0.1:8002 in the log read over SSH', async () => {
    const stack = await use(deadServerBehindLiveOne());
    const { report } = await overSsh(stack, []);
    expectStillDown(report);
  });

  it('one slow endpoint earlier: /slow timed out twice, read over SSH', async () => {
    const stack = await use(slowEndpointEarlier());
    const { report } = await overSsh(stack, []);
    expect(report.diagnosis).toMatchObject({ cause: 'read-timeout', transient: true });
    expect(report.history.episodes.at(-1)).toMatchObject({ story: 'slow-endpoint', location: '/slow', count: 2 });
    expect(report.diagnosis.explanation).toContain('location = /slow { proxy_read_timeout');
  });

  it('a listen queue overflowing, over now: the EAGAIN lines and the queue size read over SSH', async () => {
    const stack = await use(listenQueueOverflow());
    expectQueueLoad(stack.statuses);
    const { report } = await overSsh(stack, []);
    expectQueueHistory(report, stack.statuses);
  });

  it('a backend stopped for a while and continued: hung, read over SSH', async () => {
    const stack = await use(hungEarlier());
    expect(stack.statuses).toEqual(['504', '504', '504', '200']);
    const { report } = await overSsh(stack, []);
    expectHungHistory(report);
  });

  it('a TCP listen queue overflowing, over now: ListenOverflows and the queue read over SSH', async () => {
    const stack = await use(listenQueueOverflow({ tcp: true }));
    expectQueueLoad(stack.statuses, '504');
    const { report } = await overSsh(stack, []);
    expectQueueHistory(report, stack.statuses, true);
  });
});
