/**
 * Real setups for scripts/capture-check-outcomes.ts lab: each breaks (or leaves working) a real nginx and
 * its backend so that a check yields an outcome no incident of incidents/ reaches. `how` says what was
 * done, for the capture's note; `yields` the [check, outcome] runs to keep.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTcpBackend, startUnixBackend } from '../test/integration/lab/backend.js';
import { waitInBox } from '../test/integration/lab/box.js';
import { dockerProxyStack, stopApp, stopContainer } from '../test/integration/lab/docker-proxy.js';
import { startClosingBackend } from '../test/integration/lab/closing-backend.js';
import type { Lab } from '../test/integration/lab/incidents.js';
import { freePort } from '../test/integration/lab/ports.js';
import { start, waitForPath, waitForPort, type Started } from '../test/integration/lab/processes.js';
import { nodeUnderPm2, phpFpmDebian, phpPoolOutOfChildren, runitBackend, s6Backend } from '../test/integration/lab/stacks.js';
import { gunicornAllWorkersBusy, gunicornPrivateSocket, uwsgiPrivateSocket } from '../test/integration/lab/stacks-more.js';
import { initScriptCrashing, runitCrashing } from '../test/integration/lab/stacks-crash.js';
import { HISTORY_SITUATIONS } from './check-situations-history.js';
import { phpFpmKeepConn, postsUntil502 } from '../test/integration/lab/stacks-causes.js';

export interface Setup {
  /** The failing URL; none: badgateway looks for it in nginx's error logs. */
  url?: string;
  /** How to run badgateway there (another user, a namespace). */
  wrap?: (argv: string[]) => string[];
  /** Who ran it, when not root. */
  as?: string;
}

export interface Situation {
  id: string;
  how: string;
  yields: [check: string, outcome: string][];
  setup: (lab: Lab, scratch: string) => Promise<Setup>;
}

const proxyTo = (target: string) => `location / { proxy_pass ${target}; }`;
const asNobody = (argv: string[]) => ['runuser', '-u', 'nobody', '--', ...argv];

/** Runs argv in a mount namespace whose /usr/sbin links to everything of the real one but nginx; cleans up after. */
const HIDE_NGINX = [
  'set -e',
  'dir=$(mktemp -d)',
  'mkdir "$dir/real" "$dir/view"',
  'mount --bind /usr/sbin "$dir/real"',
  'for f in "$dir"/real/*; do [ "${f##*/}" = nginx ] || ln -s "$f" "$dir/view/"; done',
  'mount --bind "$dir/view" /usr/sbin',
  'status=0; "$@" || status=$?',
  // Unmounted first, so only the links and the empty folders are removed.
  'umount /usr/sbin; umount "$dir/real"',
  'find "$dir/view" -maxdepth 1 -type l -delete; rmdir "$dir/view" "$dir/real" "$dir"',
  'exit $status',
].join('\n');
const withoutNginx = (argv: string[]) => ['unshare', '--mount', '--', 'sh', '-c', HIDE_NGINX, 'sh', ...argv];

/** Runs argv in a mount namespace where the box's FastCGI clients (cgi-fcgi, python3, perl) are not executable. */
const HIDE_FCGI_CLIENTS = ['/usr/bin/cgi-fcgi', '/usr/bin/python3.11', '/usr/bin/perl'].map((path) => `if [ -e ${path} ]; then mount --bind /dev/null ${path}; fi`).join('\n');
const withoutFcgiClients = (argv: string[]) => ['unshare', '--mount', '--', 'sh', '-c', `${HIDE_FCGI_CLIENTS}\nexec env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"`, 'sh', ...argv];

/** nginx's request through it once, so its error log holds a line for it. */
async function requestOnce(port: number, path = '/'): Promise<void> {
  try {
    await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  } catch {
    /* a 502 or a timeout is what we want logged */
  }
}

/**
 * A python3 HTTP backend that treats nginx's requests (HTTP/1.0) apart from curl's (HTTP/1.1): 'slow' sleeps
 * 600 s before answering nginx, 'big' sends nginx a 10 000-byte header; curl gets a small answer at once.
 */
async function startPicky(port: number, mode: 'slow' | 'big'): Promise<Started> {
  const program = [
    'import sys, time',
    'from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer',
    'mode = sys.argv[2]',
    'class Handler(BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    "        nginx = self.request_version == 'HTTP/1.0'",
    "        if nginx and mode == 'slow': time.sleep(600)",
    '        self.send_response(200)',
    "        if nginx and mode == 'big': self.send_header('X-Big', 'a' * 10000)",
    "        self.send_header('Content-Length', '3'); self.end_headers(); self.wfile.write(b'ok\\n')",
    '    def log_message(self, *args): pass',
    "ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()",
  ].join('\n');
  const backend = start('python3', ['-c', program, String(port), mode]);
  await waitForPort('127.0.0.1', port, 'the picky backend');
  return backend;
}

export const SITUATIONS: Situation[] = [
  {
    id: 'nothing-on-the-port',
    how: 'no nginx at all on the box; the URL names a free loopback port.',
    yields: [['nginx.find', 'not-running']],
    async setup() {
      return { url: `http://127.0.0.1:${await freePort()}/` };
    },
  },
  {
    id: 'python-on-the-port',
    how: "a python3 HTTP server (test/integration/lab/backend.py) answers on the URL's port, no nginx.",
    yields: [['nginx.find', 'not-nginx']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port));
      return { url: `http://127.0.0.1:${port}/` };
    },
  },
  {
    id: 'config-broken-on-disk',
    how: 'nginx runs with a good config; then an unknown directive was appended to its nginx.conf on disk, nginx not reloaded.',
    yields: [['nginx.config', 'invalid']],
    async setup(lab) {
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${await freePort()}`) });
      writeFileSync(site.confFile, 'not_a_directive on;\n', { flag: 'a' });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'not-root',
    how: "nginx runs as root with its prefix folder closed to others (chmod 700); badgateway is run as the user nobody, so nginx -T may not read nginx's files.",
    yields: [['nginx.config', 'unreadable']],
    async setup(lab) {
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${await freePort()}`) });
      chmodSync(site.prefix, 0o700);
      return { url: `http://127.0.0.1:${site.port}/`, wrap: asNobody, as: 'nobody' };
    },
  },
  {
    id: 'url-from-the-log',
    how: 'nginx proxies to a port where nothing listens; one request was sent through it, then badgateway was run without --url.',
    yields: [['request.find', 'from-log']],
    async setup(lab) {
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${await freePort()}`) });
      await requestOnce(site.port, '/orders');
      return {};
    },
  },
  {
    id: 'quiet-log',
    how: 'nginx proxies to a working python3 backend and its error log holds no upstream error; badgateway was run without --url.',
    yields: [['request.find', 'none']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port));
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${port}`) });
      await requestOnce(site.port);
      return {};
    },
  },
  {
    id: 'served-by-nginx',
    how: 'the URL falls in a location that answers with return 200 itself; nothing is proxied.',
    yields: [['nginx.route', 'not-proxied']],
    async setup(lab) {
      const site = await lab.nginx({ server: 'location / { return 200 "ok\\n"; }' });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'pass-by-header',
    how: 'proxy_pass names its backend from a request header ($http_x_backend); the request as given does not carry it.',
    yields: [['nginx.route', 'unresolved']],
    async setup(lab) {
      const site = await lab.nginx({ server: 'location / { proxy_pass http://$http_x_backend; }' });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'fastcgi-to-banner',
    how: 'fastcgi_pass points at a python3 program that greets every connection with an SSH banner (test/integration/lab/closing-backend.py banner): nginx reads "S" as the FastCGI version.',
    yields: [['nginx.error-log', 'wrong-protocol']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startClosingBackend('127.0.0.1', port, { mode: 'banner' }));
      const site = await lab.nginx({ server: `location / { include /etc/nginx/fastcgi_params; fastcgi_pass 127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'bind-to-foreign-address',
    how: 'proxy_bind names 192.0.2.1, an address this box does not have, so nginx cannot even open its connection (errno 99).',
    yields: [['nginx.error-log', 'other']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port));
      const site = await lab.nginx({ server: `location / { proxy_bind 192.0.2.1; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'works-now',
    how: 'nginx proxies to a working python3 backend: the URL given answers 200.',
    yields: [['nginx.error-log', 'healthy']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port));
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${port}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'unix-backlog-full',
    how: 'a python3 program listens on a unix socket with a backlog of 1 and never accepts; two connections fill its queue before nginx dials it.',
    yields: [['nginx.error-log', 'backlog-full']],
    async setup(lab, scratch) {
      const socket = join(scratch, 'full.sock');
      const program = [
        'import os, socket, sys, time',
        'path = sys.argv[1]',
        's = socket.socket(socket.AF_UNIX); s.bind(path); os.chmod(path, 0o777); s.listen(1)',
        'held = []',
        'for _ in range(3):',
        '    c = socket.socket(socket.AF_UNIX); c.setblocking(False)',
        '    try: c.connect(path)',
        '    except OSError: pass',
        '    held.append(c)',
        'time.sleep(600)',
      ].join('\n');
      lab.own(start('python3', ['-c', program, socket]));
      await waitForPath(socket, 'the full unix listener');
      await new Promise((r) => setTimeout(r, 300));
      const site = await lab.nginx({ server: proxyTo(`http://unix:${socket}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'stale-socket',
    how: 'a python3 backend on a unix socket was killed with SIGKILL, leaving its socket file behind; nginx still dials it.',
    yields: [['socket.state', 'not-listening']],
    async setup(lab, scratch) {
      const socket = join(scratch, 'app.sock');
      const backend = await startUnixBackend(socket, '666');
      process.kill(-backend.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      const site = await lab.nginx({ server: proxyTo(`http://unix:${socket}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'file-not-socket',
    how: 'nginx dials unix:PATH where PATH is a regular file (a config that names the wrong file).',
    yields: [['socket.state', 'not-a-socket']],
    async setup(lab, scratch) {
      const file = join(scratch, 'regular-file.sock');
      writeFileSync(file, 'not a socket\n');
      chmodSync(file, 0o666);
      const site = await lab.nginx({ server: proxyTo(`http://unix:${file}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'scgi-never-answers',
    how: 'scgi_pass points at a python3 program that accepts, reads and answers nothing for 600 s; scgi_read_timeout 1s.',
    yields: [['backend.timing', 'not-measurable']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 600 }));
      const site = await lab.nginx({ server: `location / { include /etc/nginx/scgi_params; scgi_read_timeout 1s; scgi_pass 127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'slower-than-nginx-waits',
    how: 'a python3 HTTP backend (test/integration/lab/backend.py slow 3) answers every request after 3 s; proxy_read_timeout 1s.',
    yields: [['backend.timing', 'slower-than-timeout']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3 }));
      const site = await lab.nginx({ server: `location / { proxy_read_timeout 1s; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'backend-never-answers',
    how: 'a python3 HTTP backend (test/integration/lab/backend.py slow 3600) takes every request and answers none for an hour; proxy_read_timeout 1s.',
    yields: [['backend.timing', 'never-answers']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3600 }));
      const site = await lab.nginx({ server: `location / { proxy_read_timeout 1s; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'silent-refused',
    how: 'nginx proxies to a port where nothing listens, and the location logs at level crit only (error_log logs/quiet.log crit;), so nginx writes no line for the refused connect.',
    yields: [['backend.direct', 'refused']],
    async setup(lab) {
      const site = await lab.nginx({ server: `location / { error_log logs/quiet.log crit; proxy_pass http://127.0.0.1:${await freePort()}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'silent-never-answers',
    how: 'a python3 HTTP backend (test/integration/lab/backend.py slow 3600) takes every request and answers none; proxy_read_timeout 1s, and the location logs at level crit only (error_log logs/quiet.log crit;), so nginx writes no line for its timeout.',
    yields: [['backend.direct', 'no-answer']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3600 }));
      const site = await lab.nginx({ server: `location / { error_log logs/quiet.log crit; proxy_read_timeout 1s; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'silent-empty-reply',
    how: 'a python3 program accepts each connection, reads the request and closes it without a byte of answer; the location logs at level crit only (error_log logs/quiet.log crit;), so nginx writes no line for the premature close.',
    yields: [['backend.direct', 'not-measurable']],
    async setup(lab) {
      const port = await freePort();
      const program = [
        'import socket, sys',
        "s = socket.create_server(('127.0.0.1', int(sys.argv[1])))",
        'while True:',
        '    c, _ = s.accept()',
        '    try: c.recv(65536)',
        '    except OSError: pass',
        '    c.close()',
      ].join('\n');
      lab.own(start('python3', ['-c', program, String(port)]));
      await waitForPort('127.0.0.1', port, 'the closing backend');
      const site = await lab.nginx({ server: `location / { error_log logs/quiet.log crit; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'silent-socket-missing',
    how: 'fastcgi_pass names a unix socket that does not exist (php-fpm 8.2 listens on another one), and the location logs at level alert only (error_log logs/quiet.log alert;), so nginx writes no line for the failed connect (it logs that one at crit).',
    yields: [['backend.direct', 'socket']],
    async setup(lab, scratch) {
      const fpm = await lab.phpFpm({ listen: join(scratch, 'app.sock'), pool: 'listen.mode = 0666' });
      const site = await lab.nginx({
        server: `location / { error_log logs/quiet.log alert; include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_pass unix:${join(scratch, 'php8.2-fpm.sock')}; }`,
      });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'php-pool-out-of-children',
    how: "Debian's php8.2-fpm in a box of its own (test/integration/lab/stacks.ts phpFpmDebian: its init script, pool www with pm = dynamic and pm.max_children = 2), two requests to a script sleeping 40 s holding both children, fastcgi_read_timeout 3s; GET / waited in the socket's queue and timed out.",
    yields: [['fpm.saturation', 'saturated']],
    async setup(lab) {
      const stack = await phpPoolOutOfChildren();
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'php-fpm-child-recycled-on-kept-connection',
    how: "Debian's php8.2-fpm on 127.0.0.1:9000 in a box of its own (src/live/stacks-causes.ts phpFpmKeepConn: upstream{} with keepalive 8, fastcgi_keep_conn on, pool www static with 2 children and pm.max_requests = 1); POSTs to /index.php one after another until nginx answered one 502 (upstream prematurely closed connection).",
    yields: [['upstream.keepalive', 'worker-recycles']],
    async setup(lab) {
      const stack = await phpFpmKeepConn(1);
      lab.later(() => stack.box.remove());
      if (!postsUntil502(stack.box, stack.url, 3000).failed) throw new Error('no POST failed in 3000');
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'php-script-slower-than-nginx',
    how: "Debian's php8.2-fpm in a box of its own (phpFpmDebian, its stock pool www), index.php sleeps 6 s, fastcgi_read_timeout 3s: the pool has children to spare.",
    yields: [['fpm.saturation', 'room']],
    async setup(lab) {
      const stack = await phpFpmDebian({ scripts: { 'index.php': '<?php sleep(6); echo "slow\\n";' }, nginxExtra: 'fastcgi_read_timeout 3s;' });
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'node-app-stopped-under-pm2',
    how: "a Node app run by pm2 (npm's pm2 7, as root, home /root/.pm2) from an ecosystem file with PORT=3000, in a box of its own (test/integration/lab/stacks.ts nodeUnderPm2), stopped with pm2 stop api; nginx proxies to 127.0.0.1:3000.",
    yields: [['service.manager', 'pm2']],
    async setup(lab) {
      const stack = await nodeUnderPm2();
      lab.later(() => stack.box.remove());
      stack.box.run(['pm2', 'stop', 'api']);
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'gunicorn-workers-busy',
    how: "Debian's gunicorn with one sync worker on /run/shop/gunicorn.sock under supervisord, in a box of its own (test/integration/lab/stacks-more.ts gunicornAllWorkersBusy), held by two requests to a view that sleeps 40 s; nginx's proxy_read_timeout 3s, the request to / waits in the socket's queue.",
    yields: [['backend.timing', 'queued']],
    async setup(lab) {
      const stack = await gunicornAllWorkersBusy();
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'gunicorn-private-socket',
    how: "Debian's gunicorn under supervisord run as root with --umask 077 (test/integration/lab/stacks-more.ts gunicornPrivateSocket), in a box of its own: its socket /run/shop/gunicorn.sock is root's alone, nginx's www-data workers get 13.",
    yields: [['backend.settings', 'gunicorn']],
    async setup(lab) {
      const stack = await gunicornPrivateSocket();
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'uwsgi-private-socket',
    how: "Debian's uwsgi whose app ini says chown-socket = nobody:nogroup and chmod-socket = 600 (test/integration/lab/stacks-more.ts uwsgiPrivateSocket), in a box of its own: nginx's www-data workers get 13.",
    yields: [['backend.settings', 'uwsgi']],
    async setup(lab) {
      const stack = await uwsgiPrivateSocket();
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'runit-service-stopped',
    how: "a python3 backend run by runit (Debian's runit: /etc/sv/shop-api/run names port 8002, linked into /etc/service, runsvdir -P /etc/service), in a box of its own (test/integration/lab/stacks.ts runitBackend), stopped with sv stop shop-api; nginx proxies to 127.0.0.1:8002.",
    yields: [
      ['service.manager', 'runit'],
      ['backend.crash', 'no-sign'],
    ],
    async setup(lab) {
      const stack = await runitBackend();
      lab.later(() => stack.box.remove());
      stack.box.run(['sv', 'stop', 'shop-api']);
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'init-script-backend-crashed',
    how: 'a python3 API started by /etc/init.d/shop-api (start-stop-daemon) with DAEMON_OPTS="--port 8001 --log /var/log/shop-api/api.log" from /etc/default/shop-api, in a box of its own (test/integration/lab/stacks-crash.ts initScriptCrashing), killed by SIGSEGV on GET /crash through nginx and not started again; badgateway asked about /.',
    yields: [['backend.crash', 'crashed']],
    async setup(lab) {
      const stack = await initScriptCrashing({ respawn: false });
      lab.later(() => stack.box.remove());
      stack.box.run(['curl', '-s', '-o', '/dev/null', '-m', '10', 'http://api.example/crash']);
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'runit-service-dies-at-start',
    how: 'a python3 API as a runit service (/etc/sv/shop-api, svlogd -tt into /var/log/shop-api) that raises RuntimeError at start while /srv/shop-api/broken exists, in a box of its own (test/integration/lab/stacks-crash.ts runitCrashing); runsv starts it every second, three deaths logged; nginx proxies to 127.0.0.1:8002.',
    yields: [['backend.crash', 'crash-loop']],
    async setup(lab) {
      const stack = await runitCrashing({ broken: true });
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 's6-service-stopped',
    how: "a python3 backend run by s6 (Debian's s6: /run/service/shop-api/run names port 8003, s6-svscan /run/service), in a box of its own (test/integration/lab/stacks.ts s6Backend), stopped with s6-svc -d; nginx proxies to 127.0.0.1:8003.",
    yields: [['service.manager', 's6']],
    async setup(lab) {
      const stack = await s6Backend();
      lab.later(() => stack.box.remove());
      stack.box.run(['s6-svc', '-d', '/run/service/shop-api']);
      await waitInBox(stack.box, ['sh', '-c', 's6-svstat /run/service/shop-api | grep -q ^down'], 'the service down');
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'bare-process-private-socket',
    how: "a python3 HTTP backend started by hand (no service manager, no init script or definition naming it) on a unix socket of mode 600, root's: nginx's workers get 13.",
    yields: [['service.manager', 'process']],
    async setup(lab, scratch) {
      const socket = join(scratch, 'private.sock');
      lab.own(await startUnixBackend(socket, '600'));
      const site = await lab.nginx({ server: proxyTo(`http://unix:${socket}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'docker-container-stopped',
    how: 'the docker-proxy box (test/integration/lab/docker-proxy.ts) after what docker stop leaves: the app gone, docker-proxy ended, config.v2.json saying Running false; its hostconfig.json still publishes 127.0.0.1:8080, which nginx dials (111 refused). No docker daemon.',
    yields: [['service.manager', 'docker']],
    async setup(lab) {
      const stack = await dockerProxyStack();
      lab.later(() => stack.box.remove());
      await stopContainer(stack);
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'docker-proxy-container-down',
    how: "Debian's docker-proxy (docker.io) on 127.0.0.1:8080 forwarding to 10.250.17.2:80, a network namespace of the box standing for the container (test/integration/lab/docker-proxy.ts dockerProxyStack, with docker's config.v2.json for it), whose app was stopped: the proxy accepts and resets, the container address refuses.",
    yields: [['backend.forwarder', 'container-down']],
    async setup(lab) {
      const stack = await dockerProxyStack();
      lab.later(() => stack.box.remove());
      await stopApp(stack);
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'docker-proxy-container-drops',
    how: 'the same docker-proxy box (dockerProxyStack), whose app in the container accepts every request and closes it with a reset (SO_LINGER 0) instead of answering.',
    yields: [['backend.forwarder', 'container-drops']],
    async setup(lab) {
      const stack = await dockerProxyStack({ app: 'reset' });
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'resetting-app-no-proxy',
    how: 'the app of dockerProxyStack run directly on 127.0.0.1:8080 of its box (no container, no docker-proxy), resetting every request.',
    yields: [['backend.forwarder', 'not-forwarded']],
    async setup(lab) {
      const stack = await dockerProxyStack({ app: 'reset', direct: true });
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'backend-down-unmanaged',
    how: 'nginx proxies to a port where nothing listens, and no supervisord program, systemd unit, init script or /etc/default file of the box names that port.',
    yields: [['service.manager', 'unknown']],
    async setup(lab) {
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${await freePort()}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'slow-only-for-nginx',
    how: "a python3 HTTP backend that sleeps 600 s before answering an HTTP/1.0 request (nginx's) and answers an HTTP/1.1 one (curl's) at once; proxy_read_timeout 1s.",
    yields: [['backend.timing', 'within-timeout']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startPicky(port, 'slow'));
      const site = await lab.nginx({ server: `location / { proxy_read_timeout 1s; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'big-header-only-for-nginx',
    how: "a python3 HTTP backend that sends a 10 000-byte header to an HTTP/1.0 request (nginx's) and a small one to an HTTP/1.1 one (curl's); nginx's default proxy_buffer_size.",
    yields: [['backend.header-size', 'fits-now']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startPicky(port, 'big'));
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${port}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'php-big-header-no-fcgi-client',
    how: 'php-fpm 8.2 runs a script that sends a 10 000-byte header (header("X-Big: ...")); nginx reaches it by fastcgi_pass with the default fastcgi_buffer_size; badgateway runs where no FastCGI client is (cgi-fcgi, python3 and perl each hidden under a /dev/null bound over it, PATH without pyenv).',
    yields: [['backend.header-size', 'not-measurable']],
    async setup(lab, scratch) {
      const socket = join(scratch, 'php-big.sock');
      const fpm = await lab.phpFpm({ listen: socket, pool: 'listen.mode = 0666', scripts: { 'index.php': '<?php header("X-Big: " . str_repeat("a", 10000)); echo "ok\\n";' } });
      const site = await lab.nginx({ server: `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_pass unix:${socket}; }` });
      return { url: `http://127.0.0.1:${site.port}/`, wrap: withoutFcgiClients };
    },
  },
  {
    id: 'fastcgi-no-pool',
    how: 'fastcgi_pass points at a python3 program that accepts and answers nothing for 600 s (no php-fpm pool behind it); fastcgi_read_timeout 1s.',
    yields: [
      ['backend.timing', 'fastcgi'],
      ['fastcgi.timeouts', 'pool-unknown'],
    ],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 600 }));
      const site = await lab.nginx({ server: `location / { include /etc/nginx/fastcgi_params; fastcgi_read_timeout 1s; fastcgi_pass 127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'php-slower-than-nginx',
    how: "php-fpm 8.2 runs a script that sleeps 5 s, with no request_terminate_timeout; nginx's fastcgi_read_timeout is 1s.",
    yields: [['fastcgi.timeouts', 'nginx-first']],
    async setup(lab, scratch) {
      const fpm = await lab.phpFpm({ listen: join(scratch, 'php-slow.sock'), pool: 'listen.mode = 0666', scripts: { 'index.php': '<?php sleep(5); echo "done\\n";' } });
      const site = await lab.nginx({
        server: `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_read_timeout 1s; fastcgi_pass unix:${join(scratch, 'php-slow.sock')}; }`,
      });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'php-limit-as-short',
    how: "php-fpm 8.2 runs a script that sleeps 5 s under request_terminate_timeout = 2s; nginx's fastcgi_read_timeout is 2s too (nginx logs its timeout before php-fpm's once-a-second check ends the script).",
    yields: [['fastcgi.timeouts', 'fpm-first']],
    async setup(lab, scratch) {
      const fpm = await lab.phpFpm({
        listen: join(scratch, 'php-limit.sock'),
        pool: 'listen.mode = 0666\nrequest_terminate_timeout = 2s',
        scripts: { 'index.php': '<?php sleep(5); echo "done\\n";' },
      });
      const site = await lab.nginx({
        server: `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_read_timeout 2s; fastcgi_pass unix:${join(scratch, 'php-limit.sock')}; }`,
      });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'group-back-up',
    how: "an upstream group's two servers (max_fails=1 fail_timeout=120s) were down for one request, which marked both failed; then a python3 backend was started on each, so nginx still says no live upstreams while both accept.",
    yields: [['upstream.servers', 'servers-accept']],
    async setup(lab) {
      const [a, b] = [await freePort(), await freePort()];
      const site = await lab.nginx({
        http: `upstream app { server 127.0.0.1:${a} max_fails=1 fail_timeout=120s; server 127.0.0.1:${b} max_fails=1 fail_timeout=120s; }`,
        server: proxyTo('http://app'),
      });
      await requestOnce(site.port);
      lab.own(await startTcpBackend('127.0.0.1', a));
      lab.own(await startTcpBackend('127.0.0.1', b));
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'nginx-not-installed',
    how: 'no nginx runs, and badgateway was run in a mount namespace whose /usr/sbin holds everything of the real one but nginx (the only nginx binary of this Debian box): what a box without nginx answers.',
    yields: [['nginx.find', 'not-installed']],
    async setup() {
      return { url: `http://127.0.0.1:${await freePort()}/`, wrap: withoutNginx };
    },
  },
  {
    id: 'listen-changed-not-reloaded',
    how: 'nginx runs; then its listen line was changed on disk to another port and nginx was not reloaded: the running nginx answers on a port its config on disk no longer names.',
    yields: [['nginx.route', 'no-server']],
    async setup(lab) {
      const site = await lab.nginx({ server: proxyTo(`http://127.0.0.1:${await freePort()}`) });
      const other = await freePort();
      writeFileSync(site.confFile, readFileSync(site.confFile, 'utf8').replace(`listen 127.0.0.1:${site.port};`, `listen 127.0.0.1:${other};`));
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'log-to-syslog',
    how: "nginx proxies to a port where nothing listens, and the location logs its errors to syslog (error_log syslog:server=127.0.0.1:5514), not to a file; badgateway falls back on nginx's compiled-in error log, which Debian's nginx gives as --error-log-path=stderr, and finds no such file under the prefix.",
    yields: [['nginx.error-log', 'unreadable']],
    async setup(lab) {
      const site = await lab.nginx({ server: `location / { error_log syslog:server=127.0.0.1:5514; proxy_pass http://127.0.0.1:${await freePort()}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'acl-denies-worker',
    how: "a python3 backend listens on a unix socket with mode 666, and a POSIX ACL on it (written by python3's os.setxattr, as setfacl -m u:nobody:--- would) denies nginx's worker user nobody: the mode bits allow what the kernel refuses.",
    yields: [['socket.state', 'ok']],
    async setup(lab, scratch) {
      const socket = join(scratch, 'acl.sock');
      lab.own(await startUnixBackend(socket, '666'));
      // system.posix_acl_access: version 2, then (tag, perm, id) for user::rw-, user:nobody:---, group::rw-, mask::rw-, other::rw-.
      const acl = [
        'import os, struct, sys',
        'entries = [(0x01, 6, 0xFFFFFFFF), (0x02, 0, 65534), (0x04, 6, 0xFFFFFFFF), (0x10, 6, 0xFFFFFFFF), (0x20, 6, 0xFFFFFFFF)]',
        "os.setxattr(sys.argv[1], 'system.posix_acl_access', struct.pack('<I', 2) + b''.join(struct.pack('<HHI', *e) for e in entries))",
      ].join('\n');
      execFileSync('python3', ['-c', acl, socket]);
      const site = await lab.nginx({ server: proxyTo(`http://unix:${socket}`) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'first-syn-dropped',
    how: "a python3 backend listens; an nftables rule drops the first SYN of every connection to its port (a set remembers each source address and port, so the retransmitted SYN a second later passes), and nginx's proxy_connect_timeout is 700ms: nginx gives up, a patient connect gets through after about a second.",
    yields: [['backend.reach', 'slow']],
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port));
      const nft = (...args: string[]) => execFileSync('nft', args);
      nft('add', 'table', 'inet', 'bgw_capture');
      lab.later(() => void nft('delete', 'table', 'inet', 'bgw_capture'));
      nft('add', 'set', 'inet', 'bgw_capture', 'seen', '{ type ipv4_addr . inet_service; flags dynamic,timeout; timeout 60s; }');
      nft('add', 'chain', 'inet', 'bgw_capture', 'out', '{ type filter hook output priority 0; }');
      nft('add', 'rule', 'inet', 'bgw_capture', 'out', 'tcp', 'dport', String(port), 'tcp', 'flags', '&', '(syn|ack)', '==', 'syn', 'ip', 'saddr', '.', 'tcp', 'sport', '@seen', 'accept');
      nft(
        'add',
        'rule',
        'inet',
        'bgw_capture',
        'out',
        'tcp',
        'dport',
        String(port),
        'tcp',
        'flags',
        '&',
        '(syn|ack)',
        '==',
        'syn',
        'add',
        '@seen',
        '{',
        'ip',
        'saddr',
        '.',
        'tcp',
        'sport',
        '}',
        'drop',
      );
      const site = await lab.nginx({ server: `location / { proxy_connect_timeout 700ms; proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  ...HISTORY_SITUATIONS,
];
