import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { type Box, startBox, waitInBox } from './box.js';
import { enableSite, gunicornUnderSupervisor, nodeUnderPm2, phpFpmDebian, proxySite, type Stack } from './stacks.js';

/**
 * Stacks whose 502s and 504s already happened and are over: each setup breaks a real backend while real
 * requests arrive through nginx, then lets it recover, so only the logs tell what happened. Every request
 * loop is bounded in count and time (curl -m).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GETs sent through the box's nginx, one after another; their statuses (000 when curl gave up). */
function requests(box: Box, url: string, count: number, seconds = 10): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(box.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', String(seconds), url]).trim());
  }
  return out;
}

/** The same GET sent in the background (not waited for); curl gives up after `seconds` and dies with the box. */
function inBackground(box: Box, url: string, seconds: number): void {
  const argv = box.exec(['curl', '-s', '-o', '/dev/null', '-m', String(seconds), url]);
  spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' }).unref();
}

async function removing<T>(box: Box, setup: () => Promise<T>): Promise<T> {
  try {
    return await setup();
  } catch (e) {
    await box.remove();
    throw e;
  }
}

const tcpReady = (port: number) => ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`];

/**
 * A restart window: gunicorn on 127.0.0.1:8000 (or with `socket`, on its unix socket) under supervisord is
 * stopped while requests arrive (nginx logs "Connection refused", or "No such file" for the socket), then
 * started again; the site answers 200 afterwards.
 */
export async function restartWindow(options: { socket?: boolean } = {}): Promise<Stack & { statuses: string[] }> {
  const stack = await gunicornUnderSupervisor(options.socket ? {} : { nginxDials: 'http://127.0.0.1:8000', gunicornBind: '127.0.0.1:8000' });
  return removing(stack.box, async () => {
    stack.box.run(['supervisorctl', 'stop', 'shop']);
    const during = requests(stack.box, stack.url, 4);
    stack.box.run(['supervisorctl', 'start', 'shop']);
    await waitInBox(stack.box, options.socket ? ['test', '-S', '/run/shop/gunicorn.sock'] : tcpReady(8000), 'gunicorn again');
    const after = requests(stack.box, stack.url, 1);
    return { ...stack, statuses: [...during, ...after] };
  });
}

/** A Python API that dies at start with a traceback while /srv/api/broken exists (a bad deploy). */
const FRAGILE_SERVER = `import os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if os.path.exists('/srv/api/broken'):
    raise RuntimeError('settings missing DATABASE_URL')

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'api ok\\n'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(('127.0.0.1', 8000), Handler).serve_forever()
`;

/**
 * A crash loop under supervisord: the API on 127.0.0.1:8000 exits with a traceback at each start while
 * a bad deploy is in place; supervisord spawns it again and again ("exited: api (exit status 1; not
 * expected)") while requests get 502. The deploy is then repaired and the API stays up.
 */
export async function crashLoopUnderSupervisor(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.py', FRAGILE_SERVER);
    box.write('/srv/api/broken', 'a bad deploy\n');
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/var/log/api']);
    box.write(
      '/etc/supervisor/conf.d/api.conf',
      `[program:api]
command=/usr/bin/python3 /srv/api/server.py
directory=/srv/api
user=www-data
autostart=true
autorestart=true
startsecs=1
startretries=50
stdout_logfile=/var/log/api/out.log
stderr_logfile=/var/log/api/err.log
`,
    );
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8000'));
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, ['grep', '-q', 'exited: api', '/var/log/supervisor/supervisord.log'], 'the first crash of the API');
    const during = requests(box, 'http://api.example/', 3);
    await sleep(1500);
    during.push(...requests(box, 'http://api.example/', 2));
    box.run(['rm', '-f', '/srv/api/broken']);
    await waitInBox(box, tcpReady(8000), 'the API up again', 30_000);
    const after = requests(box, 'http://api.example/', 1);
    return { box, url: 'http://api.example/', host: 'api.example', statuses: [...during, ...after] };
  });
}

/**
 * A PHP pool out of children under real concurrent load: pm.max_children = 2 and a report that holds its
 * child while /srv/blog.example/lock exists (at most 20 s); two reports take both children, three more
 * requests wait in the socket's queue until fastcgi_read_timeout (3s) ends them with 504. The lock is then
 * removed and the pool drains.
 */
export async function saturatedPoolEarlier(): Promise<Stack & { statuses: string[] }> {
  const stack = await phpFpmDebian({
    pool: { pm: 'dynamic', 'pm.max_children': '2', 'pm.start_servers': '1', 'pm.min_spare_servers': '1', 'pm.max_spare_servers': '1' },
    scripts: { 'report.php': '<?php for ($i = 0; $i < 200 && file_exists("/srv/blog.example/lock"); $i++) usleep(100000); echo "report\\n";' },
    nginxExtra: 'fastcgi_read_timeout 3s;',
  });
  return removing(stack.box, async () => {
    stack.box.write('/srv/blog.example/lock', 'held\n');
    for (let i = 0; i < 2; i++) inBackground(stack.box, 'http://blog.example/report.php', 25);
    await waitInBox(stack.box, ['grep', '-q', 'reached pm.max_children', '/var/log/php8.2-fpm.log'], "php-fpm's max_children warning", 20_000);
    const during = requests(stack.box, 'http://blog.example/index.php', 2);
    stack.box.run(['rm', '-f', '/srv/blog.example/lock']);
    // The load ends: the reports finish and the pool is idle again before anyone looks.
    await waitInBox(stack.box, ['sh', '-c', '! pgrep -x curl'], 'the reports done', 10_000);
    const after = requests(stack.box, 'http://blog.example/index.php', 1);
    return { ...stack, statuses: [...during, ...after] };
  });
}

/** A plain HTTP backend on the port it is given; GET /slow waits while /srv/api/lock exists (at most 20 s). */
const LOCKING_SERVER = `import os, socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith('/close'):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if self.path.startswith('/bad'):
            self.wfile.write(b'HTTP/1.1 200 OK\\r\\nBad Header Line\\r\\n\\r\\n')
            return
        if self.path.startswith('/hog') and os.path.exists('/srv/api/leak'):
            hog = [bytearray(1024 * 1024) for _ in range(300)]
        if self.path.startswith('/slow'):
            for _ in range(200):
                if not os.path.exists('/srv/api/lock'):
                    break
                time.sleep(0.1)
        body = b'api ok\\n'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
`;

function startPlain(box: Box, port: number): void {
  const argv = box.exec(['setsid', 'python3', '/srv/api/server.py', String(port)]);
  spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore', detached: true }).unref();
}

/**
 * One slow endpoint earlier: /slow waits on a lock longer than proxy_read_timeout (2s), so nginx answers
 * 504 twice; the lock is released and /slow answers at once. The access log records $upstream_status,
 * $upstream_addr and $upstream_response_time.
 */
export async function slowEndpointEarlier(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.py', LOCKING_SERVER);
    box.write(
      '/etc/nginx/conf.d/upstream-log.conf',
      'log_format upstreamlog \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $upstream_response_time\';\n',
    );
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8000', 'proxy_read_timeout 2s;').replace('api.example.access.log;', 'api.example.access.log upstreamlog;'));
    startPlain(box, 8000);
    box.run(['nginx']);
    await waitInBox(box, tcpReady(8000), 'the API');
    requests(box, 'http://api.example/', 2);
    box.write('/srv/api/lock', 'held\n');
    const during = requests(box, 'http://api.example/slow', 2);
    box.run(['rm', '-f', '/srv/api/lock']);
    const after = requests(box, 'http://api.example/slow', 1);
    return { box, url: 'http://api.example/slow', host: 'api.example', statuses: [...during, ...after] };
  });
}

/**
 * A dead server behind a live one: upstream api has 127.0.0.1:8001 (answers) and 127.0.0.1:8002 (nothing
 * listens). nginx logs "Connection refused" for 8002 and passes each request on to 8001, so clients get 200.
 */
export async function deadServerBehindLiveOne(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.py', LOCKING_SERVER);
    box.write('/etc/nginx/conf.d/api-upstream.conf', 'upstream api {\n    server 127.0.0.1:8001;\n    server 127.0.0.1:8002;\n}\n');
    enableSite(box, 'api', proxySite('api.example', 'http://api'));
    startPlain(box, 8001);
    box.run(['nginx']);
    await waitInBox(box, tcpReady(8001), 'the live server');
    const statuses = requests(box, 'http://api.example/', 4);
    return { box, url: 'http://api.example/', host: 'api.example', statuses };
  });
}

/** The plain API (LOCKING_SERVER) on 127.0.0.1:8000, started by hand, behind nginx's api.example, answering. */
async function plainApiRunning(box: Box): Promise<void> {
  box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
  box.write('/srv/api/server.py', LOCKING_SERVER);
  enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8000'));
  startPlain(box, 8000);
  box.run(['nginx']);
  await waitInBox(box, tcpReady(8000), 'the API');
}

/**
 * A gap with no log: a plain API on 127.0.0.1:8000 started by hand (no supervisor, no log of its own) is
 * killed, two requests get 502, and it is started again by hand.
 */
export async function unloggedGap(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    await plainApiRunning(box);
    const pid = /pid=(\d+)/.exec(box.run(['ss', '-Hltnp', 'sport = :8000']))?.[1];
    if (!pid) throw new Error('no pid listens on 127.0.0.1:8000');
    box.run(['kill', '--', pid]);
    await sleep(300);
    const during = requests(box, 'http://api.example/', 2);
    startPlain(box, 8000);
    await waitInBox(box, tcpReady(8000), 'the API again');
    return { box, url: 'http://api.example/', host: 'api.example', statuses: [...during, ...requests(box, 'http://api.example/', 1)] };
  });
}

/** An endpoint that once sent a malformed header line (/bad); the site itself answers. */
export async function badHeaderEarlier(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    await plainApiRunning(box);
    const statuses = [...requests(box, 'http://api.example/bad', 1), ...requests(box, 'http://api.example/', 1)];
    return { box, url: 'http://api.example/', host: 'api.example', statuses };
  });
}

/** gunicorn's worker killed by SIGSEGV on /crash (the shop's app) once; the site itself answers. */
export async function workerCrashEarlier(): Promise<Stack & { statuses: string[] }> {
  const stack = await gunicornUnderSupervisor();
  return removing(stack.box, async () => {
    const statuses = [...requests(stack.box, 'http://shop.example/crash', 1), ...requests(stack.box, stack.url, 1)];
    return { ...stack, statuses };
  });
}

/** The cgroup v1 memory controller of this machine, where a lab box may make a limited group (null: none). */
const MEMORY_V1 = '/sys/fs/cgroup/memory';

/**
 * An OOM kill in a memory-limited cgroup: the API under supervisord is moved into a cgroup v1 memory group
 * limited to 60 MB; while a leaking deploy is in place (/srv/api/leak), GET /hog allocates 300 MB and the
 * kernel kills it ("Memory cgroup out of memory: Killed process N (python3)"); supervisord starts it again
 * (outside the group), the leak is rolled back, and every path answers, /hog too: the 502 is over.
 */
export async function oomKillEarlier(): Promise<Stack & { statuses: string[] }> {
  if (!existsSync(`${MEMORY_V1}/memory.limit_in_bytes`)) throw new Error(`no cgroup v1 memory controller at ${MEMORY_V1}: an OOM kill cannot be made here`);
  const box = await startBox();
  const group = `${MEMORY_V1}/bgw-lab-${process.pid}-${Date.now()}`;
  const remove = box.remove;
  box.remove = async () => {
    await remove();
    if (existsSync(group)) rmdirSync(group);
  };
  return removing(box, async () => {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.py', LOCKING_SERVER);
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/var/log/api']);
    box.write(
      '/etc/supervisor/conf.d/api.conf',
      '[program:api]\ncommand=/usr/bin/python3 /srv/api/server.py 8000\nautostart=true\nautorestart=true\nstartsecs=1\nstdout_logfile=/var/log/api/out.log\nstderr_logfile=/var/log/api/err.log\n',
    );
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8000'));
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, tcpReady(8000), 'the API');
    mkdirSync(group);
    writeFileSync(`${group}/memory.limit_in_bytes`, String(60 * 1024 * 1024));
    const pid = box.run(['supervisorctl', 'pid', 'api']).trim();
    box.run(['sh', '-c', 'echo "$1" > "$2/cgroup.procs"', 'sh', pid, group]);
    box.write('/srv/api/leak', 'a leaking deploy\n');
    const during = requests(box, 'http://api.example/hog', 1);
    await waitInBox(box, ['grep', '-q', 'exited: api', '/var/log/supervisor/supervisord.log'], "supervisord's word of the kill");
    box.run(['rm', '-f', '/srv/api/leak']);
    await waitInBox(box, tcpReady(8000), 'the API again');
    return { box, url: 'http://api.example/', host: 'api.example', statuses: [...during, ...requests(box, 'http://api.example/hog', 1)] };
  });
}

/** A WSGI app whose /slow waits while /srv/api/lock exists (at most 20 s). */
const LOCKING_WSGI = `import os, time

def app(environ, start_response):
    if environ.get('PATH_INFO') == '/slow':
        for _ in range(200):
            if not os.path.exists('/srv/api/lock'):
                break
            time.sleep(0.1)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'api ok\\n']
`;

/**
 * A listen queue overflowing under bounded concurrent load: gunicorn under supervisord with one sync worker
 * and --backlog 1 on a unix socket. Six GETs of /slow arrive at once while a lock holds the worker: one is
 * served, two wait in the queue, the rest are turned away at once (nginx: "11: Resource temporarily
 * unavailable"), and two GETs of / meet the same full queue. The lock is released, the load ends, and
 * the site answers. `statuses`: the six concurrent ones (sorted), then the two, then the last one.
 * With `tcp`, gunicorn listens on 127.0.0.1:8000 and nginx waits proxy_connect_timeout 1s: the kernel drops
 * the SYNs a full queue cannot hold (counting ListenOverflows), and nginx answers 504 ("110: Connection timed
 * out while connecting").
 */
export async function listenQueueOverflow(options: { tcp?: boolean } = {}): Promise<Stack & { statuses: string[] }> {
  const bind = options.tcp ? '127.0.0.1:8000' : 'unix:/run/api/gunicorn.sock';
  const box = await startBox();
  return removing(box, async () => {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/app.py', LOCKING_WSGI);
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/run/api', '/var/log/api']);
    box.write(
      '/etc/supervisor/conf.d/api.conf',
      `[program:api]
command=/usr/bin/gunicorn --workers 1 --backlog 1 --bind ${bind} --error-logfile /var/log/api/error.log app:app
directory=/srv/api
user=www-data
autostart=true
autorestart=true
stdout_logfile=/var/log/api/out.log
redirect_stderr=true
`,
    );
    enableSite(box, 'api', options.tcp ? proxySite('api.example', 'http://127.0.0.1:8000', 'proxy_connect_timeout 1s;') : proxySite('api.example', 'http://unix:/run/api/gunicorn.sock'));
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, options.tcp ? tcpReady(8000) : ['test', '-S', '/run/api/gunicorn.sock'], 'gunicorn listening');
    // Well before the load, so its start does not explain the episode.
    await sleep(4000);
    box.write('/srv/api/lock', 'held\n');
    const load = ['sh', '-c', 'for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w "%{http_code}\\n" -m 25 http://api.example/slow >> /run/load.txt & done; wait'];
    const argv = box.exec(load);
    spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' }).unref();
    const turnedAway = options.tcp ? 'while connecting to upstream' : '11: Resource temporarily unavailable';
    await waitInBox(box, ['grep', '-q', turnedAway, '/var/log/nginx/api.example.error.log'], "nginx's first connection turned away", 10_000);
    await sleep(300);
    const during = requests(box, 'http://api.example/', 2);
    box.run(['rm', '-f', '/srv/api/lock']);
    await waitInBox(box, ['sh', '-c', '[ "$(wc -l < /run/load.txt)" -eq 6 ]'], 'the load done', 15_000);
    const concurrent = box.read('/run/load.txt').trim().split('\n').sort();
    return { box, url: 'http://api.example/', host: 'api.example', statuses: [...concurrent, ...during, ...requests(box, 'http://api.example/slow', 1)] };
  });
}

/**
 * A backend that hung for a while: a plain API on 127.0.0.1:8000 (proxy_read_timeout 2s) is stopped with
 * SIGSTOP; the kernel still queues connections for it, so GET /, GET /orders and GET / again time out (504);
 * it is continued with SIGCONT and answers at once.
 */
export async function hungEarlier(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.py', LOCKING_SERVER);
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8000', 'proxy_read_timeout 2s;'));
    startPlain(box, 8000);
    box.run(['nginx']);
    await waitInBox(box, tcpReady(8000), 'the API');
    const pid = /pid=(\d+)/.exec(box.run(['ss', '-Hltnp', 'sport = :8000']))?.[1];
    if (!pid) throw new Error('no pid listens on 127.0.0.1:8000');
    box.run(['kill', '-STOP', '--', pid]);
    const during = [...requests(box, 'http://api.example/', 1), ...requests(box, 'http://api.example/orders', 1), ...requests(box, 'http://api.example/', 1)];
    box.run(['kill', '-CONT', '--', pid]);
    return { box, url: 'http://api.example/', host: 'api.example', statuses: [...during, ...requests(box, 'http://api.example/', 1)] };
  });
}

/** gunicorn under supervisord on its unix socket, never broken: history has nothing to tell. */
export async function neverFailed(): Promise<Stack> {
  return gunicornUnderSupervisor();
}

/**
 * Refused while the backend ran all along: a firewall rule rejecting 127.0.0.1:8000 with a TCP reset (nft,
 * in the box's own network) was in place for two requests, then deleted. No backend log and no process start
 * explain the episode.
 */
export async function firewallBlip(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    await plainApiRunning(box);
    // The backend runs well before the episode, so its start cannot explain it.
    await sleep(8000);
    box.run(['nft', '-f', '-'], { input: 'table inet blip {\n  chain output {\n    type filter hook output priority 0;\n    tcp dport 8000 reject with tcp reset\n  }\n}\n' });
    const during = requests(box, 'http://api.example/', 2);
    box.run(['nft', 'delete', 'table', 'inet', 'blip']);
    return { box, url: 'http://api.example/', host: 'api.example', statuses: [...during, ...requests(box, 'http://api.example/', 1)] };
  });
}

/** A Node app under pm2 whose process dies of SIGSEGV on /crash; pm2 starts it again and the site answers. */
export async function pm2CrashEarlier(): Promise<Stack & { statuses: string[] }> {
  const stack = await nodeUnderPm2();
  return removing(stack.box, async () => {
    const during = requests(stack.box, 'http://api.example/crash', 1);
    await sleep(500);
    await waitInBox(stack.box, tcpReady(3000), 'the app again');
    return { ...stack, statuses: [...during, ...requests(stack.box, stack.url, 1)] };
  });
}

/** An endpoint that once closed the connection without answering (/close); no log says why. The site answers. */
export async function closedEarlier(): Promise<Stack & { statuses: string[] }> {
  const box = await startBox();
  return removing(box, async () => {
    await plainApiRunning(box);
    await sleep(4000);
    const statuses = [...requests(box, 'http://api.example/close', 1), ...requests(box, 'http://api.example/', 1)];
    return { box, url: 'http://api.example/', host: 'api.example', statuses };
  });
}
