import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseErrorLog } from '../../../src/nginx/error-log.js';
import { episodesOf, failuresOf, GAP_MS, historyReport, perMinute } from '../../../src/history/episodes.js';
import { logEvents, oomKills } from '../../../src/history/events.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/history/${name}`, import.meta.url), 'utf8');
const failures = (file: string) => failuresOf(parseErrorLog(fixture(file)));

describe('episodes from logs captured in the lab', () => {
  it("a restart window: four refusals at 127.0.0.1:8000, supervisord's stop and spawn around them", () => {
    const events = logEvents(fixture('restart-window/supervisor__supervisord.log'), '/var/log/supervisor/supervisord.log', 2026);
    const [episode, ...more] = episodesOf(failures('restart-window/nginx__shop.example.error.log'), events);
    expect(more).toEqual([]);
    expect(episode).toMatchObject({ story: 'restart-window', cause: 'backend-down', count: 4, upstream: '127.0.0.1:8000', location: '/', kind: 'refused' });
    expect(episode?.events.map((e) => e.kind)).toEqual(['restart', 'stop', 'restart']);
    expect(episode?.evidence.at(-1)).toContain("INFO spawned: 'shop' with pid 71");
  });

  it('a crash loop: supervisord says the API exited, not expected; the same refusals are a crash loop, not a restart', () => {
    const events = logEvents(fixture('crash-loop/supervisor__supervisord.log'), 'supervisord', 2026);
    expect(events.filter((e) => e.kind === 'exit').map((e) => e.line)).toEqual([
      '2026-12-06 11:51:31,512 WARN exited: api (exit status 1; not expected)',
      '2026-12-06 11:51:33,548 WARN exited: api (exit status 1; not expected)',
    ]);
    const episodes = episodesOf(failures('crash-loop/nginx__api.example.error.log'), events);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ story: 'crash-loop', cause: 'backend-crashed', count: 5 });
  });

  it("a saturated pool: php-fpm's max_children warning falls inside the timeouts of /report.php and /index.php (two episodes, one per path)", () => {
    const events = logEvents(fixture('saturated-pool/php8.2-fpm.log'), '/var/log/php8.2-fpm.log', 2026);
    expect(events.map((e) => e.kind)).toEqual(['restart', 'max-children']);
    const episodes = episodesOf(failures('saturated-pool/nginx__blog.example.error.log'), events);
    expect(episodes.map((e) => [e.location, e.count, e.story, e.cause, e.upstream])).toEqual([
      ['/report.php', 2, 'saturated', 'backend-saturated', 'unix:/run/php/php8.2-fpm.sock'],
      ['/index.php', 2, 'saturated', 'backend-saturated', 'unix:/run/php/php8.2-fpm.sock'],
    ]);
  });

  it('a slow endpoint: timeouts on /slow with nothing on the backend side are a slow endpoint (504s)', () => {
    const list = failures('slow-endpoint/nginx__api.example.error.log');
    expect(list.map((f) => f.status)).toEqual([504, 504]);
    expect(episodesOf(list, [])).toEqual([expect.objectContaining({ story: 'slow-endpoint', cause: 'read-timeout', location: '/slow', upstream: '127.0.0.1:8000', count: 2 })]);
  });

  it('the dead server of a group: the episode names the server nginx named (8002), not the group', () => {
    expect(episodesOf(failures('dead-server/nginx__api.example.error.log'), [])).toEqual([expect.objectContaining({ upstream: '127.0.0.1:8002', story: 'unreachable', cause: 'backend-down' })]);
  });

  it('a quiet spell longer than the gap splits one server and path into two episodes', () => {
    const [a, b] = failures('restart-window/nginx__shop.example.error.log');
    const later = { ...(b as NonNullable<typeof b>), time: (a as NonNullable<typeof a>).time + GAP_MS + 1000 };
    expect(episodesOf([a!, later], []).map((e) => e.count)).toEqual([1, 1]);
    expect(episodesOf([a!, b!], []).map((e) => e.count)).toEqual([2]);
  });

  it('per minute: 502s and 504s counted apart, other statuses ignored, minutes in order', () => {
    const t = Date.UTC(2026, 11, 6, 11, 51, 28);
    expect(
      perMinute([
        { time: t + 60_000, status: 504 },
        { time: t, status: 502 },
        { time: t + 1, status: 502 },
        { time: t, status: 200 },
      ]),
    ).toEqual([
      { t: '2026-12-06T11:51', '502': 2, '504': 0 },
      { t: '2026-12-06T11:52', '502': 0, '504': 1 },
    ]);
  });
});

describe('an OOM kill in a memory-limited cgroup, captured in the lab', () => {
  const now = Date.UTC(2026, 11, 6, 11, 58, 50);
  const uptime = 17957.67;
  const supervisord = logEvents(fixture('oom-kill/supervisor__supervisord.log'), 'supervisord', 2026);
  const kills = oomKills(fixture('oom-kill/dmesg-tail.txt'), uptime, now);

  it("the kernel's kill and supervisord's SIGKILL exit make the episode an OOM kill", () => {
    const [episode] = episodesOf(failures('oom-kill/nginx__api.example.error.log'), [...supervisord, ...kills]);
    expect(episode).toMatchObject({ story: 'oom-kill', cause: 'backend-crashed', location: '/hog', kind: 'premature-close' });
    expect(episode?.evidence.join('\n')).toMatch(/kernel: Memory cgroup out of memory: Killed process \d+ \(python3\)/);
  });

  it("a kill the backend's own supervisor did not see die of SIGKILL is another process's (the kernel log is the machine's)", () => {
    const [episode] = episodesOf(failures('oom-kill/nginx__api.example.error.log'), kills);
    expect(episode?.story).toBe('closed');
    const otherExit = supervisord.map((e) => ({ ...e, line: e.line.replace('terminated by SIGKILL', 'exit status 1') }));
    expect(episodesOf(failures('oom-kill/nginx__api.example.error.log'), [...otherExit, ...kills])[0]?.story).toBe('crash-loop');
  });

  it('the chart marks the OOM kill of the episode, and not a kill elsewhere on the machine', () => {
    const list = failures('oom-kill/nginx__api.example.error.log');
    const window = { since: now - 3600_000, until: now };
    const tied = episodesOf(list, [...supervisord, ...kills]);
    expect(historyReport(window, tied, list, [...supervisord, ...kills], []).markers.map((m) => m.kind)).toContain('oom-kill');
    const untied = episodesOf(list, kills);
    expect(historyReport(window, untied, list, kills, []).markers).toEqual([]);
  });
});
