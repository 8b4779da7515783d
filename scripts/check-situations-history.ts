/**
 * The lab situations of history.read (issue 15) for scripts/capture-check-outcomes.ts lab: each lets a real
 * backend fail while real requests arrive and recover (test/integration/lab/history-situations.ts), then
 * badgateway runs when the request answers again.
 */
import type { Lab } from '../test/integration/lab/incidents.js';
import * as past from '../test/integration/lab/history-situations.js';
import type { Stack } from '../test/integration/lab/stacks.js';
import type { Setup, Situation } from './check-situations.js';

function inBox(started: () => Promise<Stack>, url?: string) {
  return async (lab: Lab): Promise<Setup> => {
    const stack = await started();
    lab.later(() => stack.box.remove());
    return { ...(url ? { url } : {}), wrap: stack.box.exec };
  };
}

export const HISTORY_SITUATIONS: Situation[] = [
  {
    id: 'history-restart-window',
    how: 'gunicorn on 127.0.0.1:8000 under supervisord (history-situations.ts restartWindow): supervisorctl stop shop, four GETs through nginx got 502, supervisorctl start shop; badgateway ran without --url once the site answered 200.',
    yields: [['history.read', 'restart-window']],
    setup: inBox(past.restartWindow),
  },
  {
    id: 'history-crash-loop',
    how: 'a Python API under supervisord that raises at start while /srv/api/broken exists (crashLoopUnderSupervisor): five GETs got 502 while supervisord respawned it, then the file was removed and it stayed up; badgateway ran without --url.',
    yields: [['history.read', 'crash-loop']],
    setup: inBox(past.crashLoopUnderSupervisor),
  },
  {
    id: 'history-oom-kill',
    how: 'a Python API under supervisord moved into a cgroup v1 memory group limited to 60 MB (oomKillEarlier); GET /hog allocated 300 MB and the kernel killed it, supervisord started it again; badgateway ran with --url http://api.example/ (which answers).',
    yields: [['history.read', 'oom-kill']],
    setup: inBox(past.oomKillEarlier, 'http://api.example/'),
  },
  {
    id: 'history-saturated-pool',
    how: "Debian's php8.2-fpm with pm.max_children = 2 (saturatedPoolEarlier): two reports held both children on a lock, two GETs of /index.php got 504 after fastcgi_read_timeout 3s, php-fpm logged server reached pm.max_children; the lock was released. badgateway ran with --url http://blog.example/ (no error for / itself).",
    yields: [['history.read', 'saturated']],
    setup: inBox(past.saturatedPoolEarlier, 'http://blog.example/'),
  },
  {
    id: 'history-slow-endpoint',
    how: 'a Python API whose /slow waits on a lock (slowEndpointEarlier), proxy_read_timeout 2s: two GETs of /slow got 504, the lock was released; badgateway ran without --url.',
    yields: [['history.read', 'slow-endpoint']],
    setup: inBox(past.slowEndpointEarlier),
  },
  {
    id: 'history-firewall-blip',
    how: 'a Python API running all along (firewallBlip); an nft rule in the box rejected 127.0.0.1:8000 with a TCP reset for two GETs (502, refused), then was deleted; badgateway ran without --url.',
    yields: [['history.read', 'unreachable']],
    setup: inBox(past.firewallBlip),
  },
  {
    id: 'history-closed',
    how: 'a Python API started by hand whose /close shuts the connection without answering (closedEarlier): one GET of /close got 502 (upstream prematurely closed); badgateway ran with --url http://api.example/ (which answers).',
    yields: [['history.read', 'closed']],
    setup: inBox(past.closedEarlier, 'http://api.example/'),
  },
  {
    id: 'history-bad-header',
    how: 'a Python API whose /bad sends a malformed header line (badHeaderEarlier): one GET of /bad got 502; badgateway ran with --url http://api.example/ (which answers).',
    yields: [['history.read', 'other']],
    setup: inBox(past.badHeaderEarlier, 'http://api.example/'),
  },
  {
    id: 'history-over',
    how: 'a Python API under supervisord in a cgroup v1 memory group of 60 MB (oomKillEarlier): while a leaking deploy was in place, GET /hog was OOM-killed (502); the leak was rolled back and /hog answers 200; badgateway ran without --url: the replay of GET /hog answered.',
    yields: [['history.over', 'over']],
    setup: inBox(past.oomKillEarlier),
  },
  {
    id: 'history-listen-queue',
    how: 'gunicorn under supervisord, one sync worker, --backlog 1 on a unix socket (listenQueueOverflow): six concurrent GETs of /slow while a lock held the worker, nginx logged 11: Resource temporarily unavailable for those turned away and for two GETs of /; the lock was released and the load ended; badgateway ran without --url.',
    yields: [['history.read', 'saturated']],
    setup: inBox(past.listenQueueOverflow),
  },
  {
    id: 'history-hung',
    how: 'a Python API on 127.0.0.1:8000 behind proxy_read_timeout 2s (hungEarlier) stopped with SIGSTOP: GET /, GET /orders and GET / got 504, then SIGCONT; badgateway ran without --url.',
    yields: [['history.read', 'hung']],
    setup: inBox(past.hungEarlier),
  },
  {
    id: 'history-dead-server',
    how: 'upstream api with 127.0.0.1:8001 (a Python API) and 127.0.0.1:8002 (nothing listens) (deadServerBehindLiveOne): four GETs got 200, nginx logged one refusal at 127.0.0.1:8002 and passed the request on; badgateway ran without --url.',
    yields: [['history.read', 'still-down']],
    setup: inBox(past.deadServerBehindLiveOne),
  },
  {
    id: 'history-quiet',
    how: 'gunicorn under supervisord on its unix socket, nothing broken (neverFailed): badgateway ran with --url http://shop.example/ on a site that never failed.',
    yields: [['history.read', 'quiet']],
    setup: inBox(past.neverFailed, 'http://shop.example/'),
  },
];
