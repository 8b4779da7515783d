import { describe, expect, it } from 'vitest';
import { crashLoopUnderSupervisor, deadServerBehindLiveOne, restartWindow, saturatedPoolEarlier, slowEndpointEarlier } from './lab/history-situations.js';
import { pathOf, stackScope } from './lab/stack-run.js';

const { use, inBox } = stackScope();

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

  it('a PHP pool at pm.max_children under real concurrent load: 504s while two reports held both children; never a longer timeout', async () => {
    const stack = await use(saturatedPoolEarlier());
    expect(stack.statuses).toEqual(['504', '504', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(report.diagnosis.cause, pathOf(report)).toBe('backend-saturated');
    expect(report.fix.edits.map((e: { after: string }) => e.after).join('\n')).not.toMatch(/fastcgi_read_timeout/);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('server reached pm.max_children setting (2)');
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
  });

  it('a dead server behind a live one: clients got 200, nginx named 127.0.0.1:8002; the diagnosis names that server, never "healthy"', async () => {
    const stack = await use(deadServerBehindLiveOne());
    expect(stack.statuses).toEqual(['200', '200', '200', '200']);
    const { report } = await inBox(stack, ['--json']);
    expect(report.healthy, pathOf(report)).toBe(false);
    expect(report.diagnosis.cause).toBe('backend-down');
    expect(JSON.stringify(report.diagnosis)).toContain('127.0.0.1:8002');
  });
});
