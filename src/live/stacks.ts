import { spawn } from 'node:child_process';
import { type Box, startBox, waitInBox } from './box.js';

/**
 * Real stacks on a Debian box of their own (lab/box.ts), set up as their packages and docs set them up:
 * nginx from /etc/nginx/sites-enabled, and the backend run by what runs it on real boxes.
 */

export interface Stack {
  box: Box;
  /** The URL of the site, as seen inside the box (nginx listens on the box's own port 80). */
  url: string;
  /** The Host header the site answers to. */
  host: string;
}

/** Runs a further setup step on a started stack; the box is removed when the step fails. */
export async function removeOnError<T>(stack: Stack, then: () => Promise<T>): Promise<T> {
  try {
    return await then();
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}

/** The WSGI app every Python stack serves: "/" answers, "/crash" kills its worker mid-request. */
const WSGI_APP = `import os

def app(environ, start_response):
    if environ.get('PATH_INFO') == '/crash':
        os.kill(os.getpid(), 11)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'shop ok\\n']
`;

/** A vhost in sites-available, enabled by its symlink, as Debian does it; the default site removed. */
export function enableSite(box: Box, name: string, text: string): void {
  box.write(`/etc/nginx/sites-available/${name}`, text);
  box.run(['rm', '-f', '/etc/nginx/sites-enabled/default']);
  box.run(['ln', '-sfn', `/etc/nginx/sites-available/${name}`, `/etc/nginx/sites-enabled/${name}`]);
}

/**
 * The sites a real box has beside the one that breaks: Debian's stock default site (default_server), an
 * admin vhost that sorts before every stack's site (static, with an API location of its own), a redirect
 * vhost after it, and conf.d files: an upstream{} and a map{} at http level, a stub_status server on
 * 127.0.0.1:8080. None of them is what the failing request reaches.
 */
export function addNeighbours(box: Box): void {
  box.run(['ln', '-sfn', '/etc/nginx/sites-available/default', '/etc/nginx/sites-enabled/default']);
  box.write('/srv/admin/index.html', 'admin\n');
  box.write(
    '/etc/nginx/sites-available/admin',
    `server {
    listen 80;
    server_name admin.example;
    root /srv/admin;
    error_log /var/log/nginx/admin.example.error.log;

    location / {
        try_files $uri $uri/ =404;
    }

    location /api/ {
        include proxy_params;
        proxy_pass http://reports_backend;
    }
}
`,
  );
  box.run(['ln', '-sfn', '/etc/nginx/sites-available/admin', '/etc/nginx/sites-enabled/admin']);
  box.write('/etc/nginx/sites-available/www-redirect', 'server {\n    listen 80;\n    server_name www.example www.shop.example www.blog.example;\n    return 301 http://example.com$request_uri;\n}\n');
  box.run(['ln', '-sfn', '/etc/nginx/sites-available/www-redirect', '/etc/nginx/sites-enabled/www-redirect']);
  box.write(
    '/etc/nginx/conf.d/upstreams.conf',
    "upstream reports_backend {\n    server 127.0.0.1:9200;\n    keepalive 8;\n}\n\nmap $http_upgrade $connection_upgrade {\n    default upgrade;\n    '' close;\n}\n",
  );
  box.write(
    '/etc/nginx/conf.d/status.conf',
    'server {\n    listen 127.0.0.1:8080;\n    server_name localhost;\n\n    location /nginx_status {\n        stub_status;\n        allow 127.0.0.1;\n        deny all;\n    }\n}\n',
  );
}

export function proxySite(serverName: string, pass: string, extra = ''): string {
  return `server {
    listen 80;
    server_name ${serverName};
    access_log /var/log/nginx/${serverName}.access.log;
    error_log /var/log/nginx/${serverName}.error.log;

    location / {
        include proxy_params;
        proxy_pass ${pass};${extra ? `\n        ${extra}` : ''}
    }
}
`;
}

/**
 * gunicorn (Debian's package) serving a WSGI app on a unix socket, run by supervisord from
 * /etc/supervisor/conf.d/shop.conf, behind nginx's sites-enabled/shop (with `neighbours`, among a real box's other sites).
 */
export async function gunicornUnderSupervisor(options: { nginxDials?: string; proxyExtra?: string; gunicornBind?: string; neighbours?: boolean } = {}): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 shop.example\n`);
    box.write('/srv/shop/app.py', WSGI_APP);
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/run/shop', '/var/log/shop']);
    box.write(
      '/etc/supervisor/conf.d/shop.conf',
      `[program:shop]
command=/usr/bin/gunicorn --workers 2 --bind ${options.gunicornBind ?? 'unix:/run/shop/gunicorn.sock'} --error-logfile /var/log/shop/error.log app:app
directory=/srv/shop
user=www-data
autostart=true
autorestart=true
stdout_logfile=/var/log/shop/out.log
redirect_stderr=true
`,
    );
    enableSite(box, 'shop', proxySite('shop.example', options.nginxDials ?? 'http://unix:/run/shop/gunicorn.sock', options.proxyExtra));
    if (options.neighbours) addNeighbours(box);
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    const bind = options.gunicornBind ?? 'unix:/run/shop/gunicorn.sock';
    const at = bind.lastIndexOf(':');
    const ready = bind.startsWith('unix:') ? ['test', '-S', bind.slice(5)] : ['bash', '-c', `exec 3<>/dev/tcp/${bind.slice(0, at).replace(/^\[|\]$/g, '')}/${bind.slice(at + 1)}`];
    await waitInBox(box, ready, 'gunicorn under supervisor');
    return { box, url: 'http://shop.example/', host: 'shop.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/** A small HTTP backend in Python's standard library: answers every GET with 200 on the port it is given. */
const PLAIN_SERVER = `import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'api ok\\n'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
`;

/**
 * A SysV init script as Debian's skeleton shapes one: its LSB header, its settings (sourced over by
 * /etc/default/NAME), and start, stop, restart and status around start-stop-daemon lines.
 */
export function sysvInitScript(o: { name: string; description: string; settings: string[]; start: string; stop: string }): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${o.name}
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${o.description}
### END INIT INFO

NAME=${o.name}
${o.settings.join('\n')}
[ -r /etc/default/$NAME ] && . /etc/default/$NAME

case "$1" in
  start)
${o.start}
    ;;
  stop)
${o.stop}
    ;;
  restart)
    "$0" stop
    "$0" start
    ;;
  status)
    start-stop-daemon --status --pidfile "$PIDFILE"
    ;;
  *)
    echo "Usage: $0 {start|stop|restart|status}" >&2
    exit 3
    ;;
esac
`;
}

const INIT_SCRIPT = sysvInitScript({
  name: 'shop-api',
  description: "the shop's API",
  settings: ['DAEMON=/usr/bin/python3', 'PIDFILE=/run/$NAME.pid', 'PORT=8000', 'RUN_AS=www-data'],
  start: '    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --chuid "$RUN_AS" \\\n      --startas "$DAEMON" -- /srv/shop-api/server.py "$PORT"',
  stop: '    start-stop-daemon --stop --quiet --retry 5 --pidfile "$PIDFILE" --remove-pidfile',
});

/**
 * A plain Python backend started by /etc/init.d/shop-api, whose port comes from /etc/default/shop-api (as
 * Debian packages do it), behind nginx's sites-enabled/api on api.example. The box has no systemd.
 */
export async function initScriptBackend(): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/shop-api/server.py', PLAIN_SERVER);
    box.write('/etc/init.d/shop-api', INIT_SCRIPT, 0o755);
    box.write('/etc/default/shop-api', '# Settings for /etc/init.d/shop-api\nPORT=8001\nRUN_AS=www-data\n');
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8001'));
    box.run(['service', 'shop-api', 'start']);
    box.run(['nginx']);
    await waitInBox(box, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8001'], 'the init script backend');
    return { box, url: 'http://api.example/', host: 'api.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/**
 * The Python script `script` (with its arguments) as the runit service shop-api, as Debian's runit package
 * sets one up: /etc/sv/shop-api/run (chpst drops to www-data), its log/run writing with svlogd -tt to
 * /var/log/shop-api, linked into /etc/service, supervised by runsvdir -P /etc/service (the box's only runit
 * service: Debian's own links are removed); nginx's sites-enabled/api on api.example passes to `port`.
 */
export function superviseWithRunit(box: Box, script: string, port: number): void {
  box.write('/etc/sv/shop-api/run', `#!/bin/sh\nexec 2>&1\nexec chpst -u www-data /usr/bin/python3 ${script}\n`, 0o755);
  box.write('/etc/sv/shop-api/log/run', '#!/bin/sh\nexec svlogd -tt /var/log/shop-api\n', 0o755);
  box.run(['install', '-d', '/var/log/shop-api']);
  box.run(['sh', '-c', 'rm -f /etc/runit/runsvdir/default/* && ln -s /etc/sv/shop-api /etc/service/shop-api']);
  enableSite(box, 'api', proxySite('api.example', `http://127.0.0.1:${port}`));
  box.run(['start-stop-daemon', '--start', '--background', '--exec', '/usr/bin/runsvdir', '--', '-P', '/etc/service']);
}

/**
 * The same as an s6 service: its service directory in the scan directory /run/service (s6-setuidgid to
 * www-data; log/run with s6-log writing TAI64N-stamped lines to /var/log/shop-api), supervised by s6-svscan.
 */
export function superviseWithS6(box: Box, script: string, port: number): void {
  box.write('/run/service/shop-api/run', `#!/bin/sh\nexec 2>&1\nexec s6-setuidgid www-data /usr/bin/python3 ${script}\n`, 0o755);
  box.write('/run/service/shop-api/log/run', '#!/bin/sh\nexec s6-log t /var/log/shop-api\n', 0o755);
  box.run(['install', '-d', '/var/log/shop-api']);
  enableSite(box, 'api', proxySite('api.example', `http://127.0.0.1:${port}`));
  box.run(['start-stop-daemon', '--start', '--background', '--exec', '/usr/bin/s6-svscan', '--', '/run/service']);
}

/** The same plain Python backend as a runit service (superviseWithRunit), the port in its run script: 8002. */
export async function runitBackend(): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/shop-api/server.py', PLAIN_SERVER);
    superviseWithRunit(box, '/srv/shop-api/server.py 8002', 8002);
    box.run(['nginx']);
    await waitInBox(box, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8002'], 'the runit service');
    return { box, url: 'http://api.example/', host: 'api.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/** The same plain Python backend as an s6 service (superviseWithS6), the port in its run script: 8003. */
export async function s6Backend(): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/shop-api/server.py', PLAIN_SERVER);
    superviseWithS6(box, '/srv/shop-api/server.py 8003', 8003);
    box.run(['nginx']);
    await waitInBox(box, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8003'], 'the s6 service');
    return { box, url: 'http://api.example/', host: 'api.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/**
 * Debian's uwsgi with its python3 plugin: /etc/uwsgi/apps-enabled/shop.ini, started by /etc/init.d/uwsgi
 * with Debian's defaults (its socket is /run/uwsgi/app/shop/socket), behind nginx's uwsgi_pass.
 */
export async function uwsgiApp(options: { nginxPass?: string } = {}): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 shop.example\n`);
    box.write('/srv/shop/app.py', WSGI_APP);
    box.write('/etc/uwsgi/apps-available/shop.ini', '[uwsgi]\nplugins = python3\nchdir = /srv/shop\nmodule = app:app\nlogto = /var/log/uwsgi/app/shop.log\n');
    box.run(['ln', '-sfn', '/etc/uwsgi/apps-available/shop.ini', '/etc/uwsgi/apps-enabled/shop.ini']);
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/var/log/uwsgi/app']);
    const pass = options.nginxPass ?? 'include uwsgi_params;\n        uwsgi_pass unix:/run/uwsgi/app/shop/socket;';
    enableSite(box, 'shop', `server {\n    listen 80;\n    server_name shop.example;\n    error_log /var/log/nginx/shop.example.error.log;\n\n    location / {\n        ${pass}\n    }\n}\n`);
    box.run(['service', 'uwsgi', 'start']);
    box.run(['nginx']);
    await waitInBox(box, ['test', '-S', '/run/uwsgi/app/shop/socket'], 'uwsgi');
    return { box, url: 'http://shop.example/', host: 'shop.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/** The front-controller site WordPress, Laravel and Symfony document, on Debian's php8.2-fpm socket. */
function phpSite(serverName: string, extra = ''): string {
  return `server {
    listen 80;
    server_name ${serverName};
    root /srv/${serverName}/public;
    index index.php;
    error_log /var/log/nginx/${serverName}.error.log;

    location / {
        try_files $uri $uri/ /index.php?$args;
    }

    location ~ \\.php$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:/run/php/php8.2-fpm.sock;${extra ? `\n        ${extra}` : ''}
    }
}
`;
}

/**
 * Debian's php8.2-fpm (its own /etc/php/8.2/fpm, started by /etc/init.d/php8.2-fpm) behind a
 * front-controller site; `pool` lines replace the www pool's settings of the same name; `neighbours`: the other
 * sites and conf.d files of a real box beside it (addNeighbours).
 */
export async function phpFpmDebian(options: { pool?: Record<string, string>; scripts?: Record<string, string>; nginxExtra?: string; neighbours?: boolean } = {}): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 blog.example\n`);
    const scripts = { 'index.php': '<?php echo "blog ok\\n";', ...options.scripts };
    for (const [name, source] of Object.entries(scripts)) box.write(`/srv/blog.example/public/${name}`, source);
    for (const [key, value] of Object.entries(options.pool ?? {})) {
      box.run(['sed', '-i', `s|^;*${key.replace(/\./g, '\\.')} = .*|${key} = ${value}|`, '/etc/php/8.2/fpm/pool.d/www.conf']);
    }
    enableSite(box, 'blog', phpSite('blog.example', options.nginxExtra));
    if (options.neighbours) addNeighbours(box);
    box.run(['service', 'php8.2-fpm', 'start']);
    box.run(['nginx']);
    await waitInBox(box, ['test', '-S', '/run/php/php8.2-fpm.sock'], 'php8.2-fpm');
    return { box, url: 'http://blog.example/', host: 'blog.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/** A Node app the way pm2's docs start one: an ecosystem file naming the script and its PORT. */
const NODE_APP = `const http = require('node:http');
const port = Number(process.env.PORT || 3000);
http
  .createServer((req, res) => {
    if (req.url === '/crash') process.kill(process.pid, 'SIGSEGV');
    res.end('api ok\\n');
  })
  .listen(port, '127.0.0.1');
`;

/**
 * A Node app run by pm2 (npm's pm2, as root with its default home /root/.pm2) from
 * /srv/api/ecosystem.config.js with PORT=3000, behind nginx's sites-enabled/api on api.example.
 */
export async function nodeUnderPm2(options: { proxyExtra?: string } = {}): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.js', NODE_APP);
    box.write('/srv/api/ecosystem.config.js', "module.exports = { apps: [{ name: 'api', script: '/srv/api/server.js', env: { PORT: 3000 } }] };\n");
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:3000', options.proxyExtra));
    box.run(['pm2', 'start', '/srv/api/ecosystem.config.js']);
    box.run(['nginx']);
    await waitInBox(box, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/3000'], 'the app under pm2');
    return { box, url: 'http://api.example/', host: 'api.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/**
 * Debian's php8.2-fpm whose pool has run out of children: pm = dynamic with pm.max_children = 2, two
 * requests to a script that sleeps 40 s holding both (bounded: curl gives up after 45 s, and they die with
 * the box), fastcgi_read_timeout 3s; returned once php-fpm has logged "server reached pm.max_children".
 */
export async function phpPoolOutOfChildren(): Promise<Stack> {
  const stack = await phpFpmDebian({
    pool: { pm: 'dynamic', 'pm.max_children': '2', 'pm.start_servers': '1', 'pm.min_spare_servers': '1', 'pm.max_spare_servers': '1' },
    scripts: { 'report.php': '<?php sleep(40); echo "report\\n";' },
    nginxExtra: 'fastcgi_read_timeout 3s;',
  });
  try {
    for (let i = 0; i < 2; i++) {
      const argv = stack.box.exec(['curl', '-s', '-o', '/dev/null', '-m', '45', 'http://blog.example/report.php']);
      spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' }).unref();
    }
    await waitInBox(stack.box, ['grep', '-q', 'reached pm.max_children', '/var/log/php8.2-fpm.log'], "php-fpm's max_children warning", 20_000);
    return stack;
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}
