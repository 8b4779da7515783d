/** An episode in words, and what prevents the next one (not only what ends this one). Pure. */
import type { BackendEvent, Episode } from './types.js';

const clock = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const KIND_WORDS: Record<string, string> = {
  refused: 'connection refused',
  'no-such-file': 'socket missing',
  'read-timeout': 'timed out waiting for the answer',
  'connect-timeout': 'timed out connecting',
  'backlog-full': 'listen queue full',
  reset: 'connection reset',
  'premature-close': 'closed before answering',
};

/** "2026-12-06 11:51:28 to 11:51:28: 4 failures (connection refused) at 127.0.0.1:8000 for /". */
export function summaryOf(e: Episode): string {
  const end = clock(e.last);
  const span = e.first === e.last ? clock(e.first) : `${clock(e.first)} to ${end.slice(0, 10) === clock(e.first).slice(0, 10) ? end.slice(11) : end}`;
  return `${span}: ${e.count} failure${e.count === 1 ? '' : 's'} (${KIND_WORDS[e.kind] ?? e.kind}) at ${e.upstream || 'the upstream'} for ${e.location || 'every path'}`;
}

const lastOf = (events: readonly BackendEvent[], ...kinds: BackendEvent['kind'][]) => [...events].reverse().find((e) => kinds.includes(e.kind));
const count = (events: readonly BackendEvent[], ...kinds: BackendEvent['kind'][]) => events.filter((e) => kinds.includes(e.kind)).length;

/** The listen queue of the episode's server as ss shows it now, and the command line of the process holding it. */
export interface QueueNow {
  /** describeQueue's words: "/run/app.sock: 0 connection(s) waiting to be accepted, queue size 1". */
  line: string;
  args?: string;
}

/**
 * A queue that overflowed: nginx was turned away at once (EAGAIN on a unix socket) while every worker was
 * busy and the queue held no more. More workers take connections sooner; a longer queue absorbs a burst,
 * up to net.core.somaxconn, which caps every listen backlog.
 */
function queueAdvice(e: Episode, queue: QueueNow | undefined, overflows: number | null): string {
  const how =
    e.kind === 'connect-timeout'
      ? `the kernel dropped nginx's connection requests and proxy_connect_timeout ran out (110 while connecting); the kernel counted ${overflows ?? 'some'} listen queue overflows since boot (ListenOverflows in /proc/net/netstat)`
      : 'the kernel turned nginx away at once (11: Resource temporarily unavailable)';
  return [
    `The listen queue at ${e.upstream} was full ${e.count} time${e.count === 1 ? '' : 's'}: every worker was busy, the queue held no more, and ${how}.`,
    queue ? `Now: ${queue.line}${queue.args ? `, held by: ${queue.args}` : ''}.` : '',
    'To prevent the next overflow, give the backend more workers so connections are taken sooner (gunicorn --workers, uwsgi --processes, php-fpm pm.max_children, sized by the memory one worker uses) and a longer queue for bursts (gunicorn --backlog, uwsgi --listen, php-fpm listen.backlog).',
    'The kernel caps every queue at net.core.somaxconn: read it with sysctl net.core.somaxconn and raise it (sysctl -w net.core.somaxconn=1024, and in /etc/sysctl.d/ to keep it) when the backlog asked for is larger.',
    e.kind === 'connect-timeout'
      ? 'A longer proxy_connect_timeout only makes clients wait in a queue that is already full.'
      : 'A longer nginx timeout does not help: the connection is refused, not slow.',
  ]
    .filter(Boolean)
    .join(' ');
}

/** What to do so the next episode does not happen, in words; `crashLines` are the backend's own crash lines seen. */
export function adviceFor(e: Episode, extra: { crashLines: readonly string[]; overflows: number | null; queue?: QueueNow }): string {
  switch (e.story) {
    case 'restart-window': {
      // A supervisor's or the backend's own line says more than ps's start time.
      const restart =
        lastOf(
          e.events.filter((x) => x.source !== 'ps'),
          'restart',
        ) ?? lastOf(e.events, 'restart');
      return [
        `The backend was restarted while requests arrived${restart ? ` (${restart.source}: ${restart.line})` : ''}, and nothing listened at ${e.upstream} until it was up again.`,
        'Restart it without a gap next time: a graceful reload keeps the listening socket (gunicorn: kill -HUP on the master, or supervisorctl signal HUP; php-fpm and uwsgi: reload), or give the upstream a second server so nginx passes requests on while one restarts.',
      ].join(' ');
    }
    case 'crash-loop': {
      const exits = count(e.events, 'exit', 'fatal', 'child-killed');
      const died = lastOf(e.events, 'exit', 'fatal', 'child-killed');
      const own = lastOf(e.events, 'crash-line');
      const words = own?.line ?? extra.crashLines.at(-1);
      const file = own?.source ?? extra.crashLines.at(-1)?.split(':')[0] ?? (died?.source.startsWith('/') ? died.source : undefined);
      return [
        exits === 1 ? `The backend died and was started again (${died?.line ?? ''}).` : `The backend exited ${exits} times and was started again each time: a crash loop (${died?.line ?? ''}).`,
        words ? `Its own words, for the developer who must fix it: ${words}.` : '',
        file ? `Read the log around it with: tail -n 100 -- ${file}.` : "Its own log holds why: read the program's stdout and stderr logs.",
        'Restarting it again only repeats the loop.',
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'oom-kill': {
      const kill = lastOf(e.events, 'oom-kill');
      return `The kernel killed the backend for lack of memory (${kill?.line ?? 'an OOM kill'}). Give it the memory it needs (its cgroup's memory limit, or the box's), or run fewer workers; the developer should find what grew (the request at ${e.location || 'that time'}).`;
    }
    case 'saturated': {
      if ((e.kind === 'backlog-full' || e.kind === 'connect-timeout') && !lastOf(e.events, 'max-children')) return queueAdvice(e, extra.queue, extra.overflows);
      const warning = lastOf(e.events, 'max-children');
      return [
        `Every worker was busy${warning ? ` (${warning.line})` : ''}, so requests waited in the queue until nginx gave up.`,
        'Size the workers by memory: the memory the box can give the backend divided by what one worker uses (ps -o rss= -p PID); for php-fpm that is pm.max_children, for gunicorn --workers, for uwsgi processes, and a longer listen queue (listen.backlog, --backlog) only holds more waiting requests. Find what keeps the workers busy (php-fpm: request_slowlog_timeout).',
        'A longer timeout would only make the queue longer.',
        ...(extra.overflows ? [`The kernel counted ${extra.overflows} listen queue overflows since boot (ListenOverflows).`] : []),
      ].join(' ');
    }
    case 'slow-endpoint':
      return `Only ${e.location || 'one path'} timed out (${e.count} time${e.count === 1 ? '' : 's'}), and nothing on the backend's side restarted or crashed then: that endpoint was slow for a while (a lock, a slow query). Find what held it, and if it is slow by nature give it its own limit instead of the whole site's: location = ${e.location || '/PATH'} { proxy_read_timeout 120s; ... } with the rest of that location's settings.`;
    case 'hung':
      return `Every path of ${e.upstream || 'the backend'} timed out in the same spell (${e.location || 'this path'} ${e.count} time${e.count === 1 ? '' : 's'}, and others with it), and nothing on the backend's side restarted or crashed then: it took connections and answered none, a backend that was stopped or stuck (a deadlock, every worker blocked) and went on later. It answers now. Next time read what it waits on before restarting it (py-spy dump --pid PID, or gdb -p PID for a native program; ps -o stat= -p PID shows T when it was stopped), and let its supervisor restart stuck workers (gunicorn --timeout, uwsgi harakiri, php-fpm request_terminate_timeout). A longer nginx timeout only makes clients wait longer.`;
    case 'still-down':
      return `nginx could not connect to ${e.upstream} (connection refused), and nothing listens there now either: that server is still down. When it is one server of an upstream group, nginx passes its requests on to the others (and leaves it out for fail_timeout after max_fails errors), so clients mostly get answers while that part of the capacity is gone. Start the backend that belongs at ${e.upstream}, or take the server out of the upstream block until it runs again.`;
    case 'unreachable':
      return `Nothing accepted connections at ${e.upstream} then, and no log on this box says it restarted or crashed. It runs now: read its own log around ${clock(e.last)} for why it was gone, and whatever stops and starts it (a deploy script, cron).`;
    case 'closed':
      return `The backend closed connections without answering at ${clock(e.last)} (a worker that died mid-request). Read its own log around that time for the crash.`;
    default:
      return `nginx logged "${e.kind}" failures then; nothing on this box explains them yet.`;
  }
}
