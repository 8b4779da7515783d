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
 * /etc/supervisor/conf.d/shop.conf, behind nginx's sites-enabled/shop.
 */
export async function gunicornUnderSupervisor(options: { nginxDials?: string; proxyExtra?: string; gunicornBind?: string } = {}): Promise<Stack> {
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
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    const bind = options.gunicornBind ?? 'unix:/run/shop/gunicorn.sock';
    const ready = bind.startsWith('unix:') ? ['test', '-S', bind.slice(5)] : ['bash', '-c', `exec 3<>/dev/tcp/${bind.replace(':', '/')}`];
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

/** A SysV init script as Debian's skeleton shapes one: start-stop-daemon, settings from /etc/default/NAME. */
const INIT_SCRIPT = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          shop-api
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: the shop's API
### END INIT INFO

NAME=shop-api
DAEMON=/usr/bin/python3
PIDFILE=/run/$NAME.pid
PORT=8000
RUN_AS=www-data
[ -r /etc/default/$NAME ] && . /etc/default/$NAME

case "$1" in
  start)
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --chuid "$RUN_AS" \\
      --startas "$DAEMON" -- /srv/shop-api/server.py "$PORT"
    ;;
  stop)
    start-stop-daemon --stop --quiet --retry 5 --pidfile "$PIDFILE" --remove-pidfile
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
 * front-controller site; `pool` lines replace the www pool's settings of the same name.
 */
export async function phpFpmDebian(options: { pool?: Record<string, string>; scripts?: Record<string, string>; nginxExtra?: string } = {}): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 blog.example\n`);
    const scripts = { 'index.php': '<?php echo "blog ok\\n";', ...options.scripts };
    for (const [name, source] of Object.entries(scripts)) box.write(`/srv/blog.example/public/${name}`, source);
    for (const [key, value] of Object.entries(options.pool ?? {})) {
      box.run(['sed', '-i', `s|^;*${key.replace(/\./g, '\\.')} = .*|${key} = ${value}|`, '/etc/php/8.2/fpm/pool.d/www.conf']);
    }
    enableSite(box, 'blog', phpSite('blog.example', options.nginxExtra));
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
export async function nodeUnderPm2(): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    box.write('/srv/api/server.js', NODE_APP);
    box.write('/srv/api/ecosystem.config.js', "module.exports = { apps: [{ name: 'api', script: '/srv/api/server.js', env: { PORT: 3000 } }] };\n");
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:3000'));
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
