import { type Box, startBox, waitInBox } from './box.js';
import { enableSite, type Stack } from './stacks.js';

/**
 * Boxes shaped like real sites the rest of the lab does not copy: the nginx configs frameworks document
 * (Django's gunicorn upstream with @proxy_to_app, Laravel's ^/index\.php(/|$), WordPress's `upstream php`),
 * upstreams chosen by a map, error pages over the 502, error logs sent to syslog, backends started by hand with
 * nohup, supervisord programs that gave up (FATAL), pm2 apps that gave up (errored), a pool php-fpm will not
 * load. Each is broken the way real ones break, by the real program.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function boxFor(hosts: string[], build: (box: Box) => Promise<void>): Promise<Box> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 ${hosts.join(' ')}\n`);
    await build(box);
    return box;
  } catch (e) {
    await box.remove();
    throw e;
  }
}

const answers = (host: string, path = '/') => ['curl', '-sf', '-o', '/dev/null', '-H', `Host: ${host}`, `http://127.0.0.1${path}`];
const tcpOpen = (port: number) => ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`];

/** A plain HTTP backend on the port in argv[1] (or $PORT); "/orders" raises, "/reports/..." takes 6 s. */
const PLAIN_APP = `import os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith('/orders'):
            raise KeyError('customer_id')
        if self.path.startswith('/reports/'):
            time.sleep(6)
        body = ('%s ok\\n' % os.environ.get('APP_NAME', 'app')).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ['PORT'])
ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
`;

/**
 * Django as its deployment docs and gunicorn's docs set it up: `upstream app_server` (fail_timeout=0) on
 * gunicorn's unix socket, `try_files $uri @proxy_to_app`, gunicorn run by supervisord. A deploy left a
 * SyntaxError in settings.py: every start fails to boot its workers, and supervisord gives up (FATAL).
 */
export async function djangoSupervisorFatal(): Promise<Stack> {
  const box = await boxFor(['mysite.example'], async (box) => {
    box.write('/srv/mysite/mysite/__init__.py', '');
    box.write('/srv/mysite/mysite/settings.py', "DEBUG = False\nALLOWED_HOSTS = ['mysite.example'\nSECRET_KEY = 'x'\n");
    box.write(
      '/srv/mysite/mysite/wsgi.py',
      "from mysite import settings\n\ndef application(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'mysite ok\\n']\n",
    );
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/run/gunicorn', '/var/log/mysite']);
    box.write(
      '/etc/supervisor/conf.d/mysite.conf',
      `[program:mysite]
command=/usr/bin/gunicorn --workers 3 --bind unix:/run/gunicorn/mysite.sock mysite.wsgi:application
directory=/srv/mysite
user=www-data
autostart=true
autorestart=true
startretries=2
stdout_logfile=/var/log/mysite/gunicorn.out.log
stderr_logfile=/var/log/mysite/gunicorn.err.log
`,
    );
    enableSite(
      box,
      'mysite',
      `upstream app_server {
    # fail_timeout=0: always retry the socket, even after a failure
    server unix:/run/gunicorn/mysite.sock fail_timeout=0;
}

server {
    listen 80 deferred;
    client_max_body_size 4G;
    server_name mysite.example;
    keepalive_timeout 5;
    root /srv/mysite/public;

    location / {
        try_files $uri @proxy_to_app;
    }

    location @proxy_to_app {
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Host $http_host;
        proxy_redirect off;
        proxy_pass http://app_server;
    }
}
`,
    );
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, ['sh', '-c', 'supervisorctl status mysite | grep -q FATAL'], 'supervisord giving up on mysite', 40_000);
  });
  return { box, url: 'http://mysite.example/', host: 'mysite.example' };
}

/**
 * Laravel's documented server block (`location ~ ^/index\.php(/|$)`) passing to `upstream php-fpm` in conf.d,
 * Debian's php8.2-fpm with one pool of its own, pool.d/laravel.conf (the stock www pool removed). An edit to
 * the pool misspelt a setting and php-fpm was restarted: it will not start again.
 */
export async function laravelPoolWillNotLoad(): Promise<Stack> {
  const box = await boxFor(['laravel.example'], async (box) => {
    box.write('/srv/laravel/public/index.php', '<?php echo "laravel ok\\n";');
    box.run(['rm', '-f', '/etc/php/8.2/fpm/pool.d/www.conf']);
    box.write(
      '/etc/php/8.2/fpm/pool.d/laravel.conf',
      `[laravel]
user = www-data
group = www-data
listen = /run/php/php8.2-fpm-laravel.sock
listen.owner = www-data
listen.group = www-data
pm = dynamic
pm.max_children = 10
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
`,
    );
    box.write('/etc/nginx/conf.d/php-fpm.conf', 'upstream php-fpm {\n    server unix:/run/php/php8.2-fpm-laravel.sock;\n}\n');
    enableSite(
      box,
      'laravel',
      `server {
    listen 80;
    listen [::]:80;
    server_name laravel.example;
    root /srv/laravel/public;

    add_header X-Frame-Options "SAMEORIGIN";
    add_header X-Content-Type-Options "nosniff";

    index index.php;

    charset utf-8;

    location / {
        try_files $uri $uri/ /index.php?$query_string;
    }

    location = /favicon.ico { access_log off; log_not_found off; }
    location = /robots.txt  { access_log off; log_not_found off; }

    error_page 404 /index.php;

    location ~ ^/index\\.php(/|$) {
        fastcgi_pass php-fpm;
        fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
        include fastcgi_params;
        fastcgi_hide_header X-Powered-By;
    }

    location ~ /\\.(?!well-known).* {
        deny all;
    }
}
`,
    );
    box.run(['service', 'php8.2-fpm', 'start']);
    box.run(['nginx']);
    await waitInBox(box, answers('laravel.example'), 'laravel through php-fpm');
    box.run(['sed', '-i', 's/^pm.max_children = 10/pm.max_childs = 10/', '/etc/php/8.2/fpm/pool.d/laravel.conf']);
    try {
      box.run(['service', 'php8.2-fpm', 'restart']);
    } catch {
      // The restart fails: that is the break.
    }
    await waitInBox(box, ['sh', '-c', '! pgrep -x php-fpm8.2 >/dev/null'], 'php-fpm gone');
  });
  return { box, url: 'http://laravel.example/', host: 'laravel.example' };
}

/**
 * WordPress as its nginx recipe sets it up: `upstream php` in conf.d on Debian's php8.2-fpm socket,
 * `location ~ \.php$` with fastcgi_intercept_errors. The www pool's request_terminate_timeout (5s) ends
 * admin-ajax.php, which takes 8 s, before nginx's fastcgi_read_timeout (60 s): php-fpm kills the child.
 */
export async function wordpressTerminateTimeout(): Promise<Stack> {
  const box = await boxFor(['wp.example'], async (box) => {
    box.write('/srv/wordpress/index.php', '<?php echo "wordpress ok\\n";');
    box.write('/srv/wordpress/wp-admin/admin-ajax.php', '<?php $t = microtime(true); while (microtime(true) - $t < 8) { usleep(100000); } echo "ajax ok\\n";');
    box.run(['sed', '-i', 's|^;*request_terminate_timeout = .*|request_terminate_timeout = 5|', '/etc/php/8.2/fpm/pool.d/www.conf']);
    box.write('/etc/nginx/conf.d/php.conf', '# Upstream to abstract backend connection(s) for php\nupstream php {\n    server unix:/run/php/php8.2-fpm.sock;\n}\n');
    enableSite(
      box,
      'wordpress',
      `server {
    listen 80;
    server_name wp.example;
    root /srv/wordpress;
    index index.php;

    location = /favicon.ico {
        log_not_found off;
        access_log off;
    }

    location / {
        try_files $uri $uri/ /index.php?$args;
    }

    location ~ \\.php$ {
        include fastcgi_params;
        fastcgi_intercept_errors on;
        fastcgi_pass php;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
    }

    location ~* \\.(js|css|png|jpg|jpeg|gif|ico)$ {
        expires max;
        log_not_found off;
    }
}
`,
    );
    box.run(['service', 'php8.2-fpm', 'start']);
    box.run(['nginx']);
    await waitInBox(box, answers('wp.example'), 'wordpress through php-fpm');
  });
  return { box, url: 'http://wp.example/wp-admin/admin-ajax.php', host: 'wp.example' };
}

/** The Flask app the uwsgi boxes serve: "/" answers, "/export" takes 8 s. */
const FLASK_LIKE_APP = `import time

def app(environ, start_response):
    if environ.get('PATH_INFO') == '/export':
        time.sleep(8)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'flask ok\\n']
`;

/**
 * A Flask app on uwsgi run by supervisord (not Debian's init script): /srv/flask/uwsgi.ini with `harakiri = 3`,
 * uwsgi's output only in supervisord's stdout_logfile. /export takes 8 s: uwsgi's master kills the worker.
 */
export async function flaskUwsgiHarakiri(): Promise<Stack> {
  const box = await boxFor(['flask.example'], async (box) => {
    box.write('/srv/flask/app.py', FLASK_LIKE_APP);
    box.write(
      '/srv/flask/uwsgi.ini',
      '[uwsgi]\nplugins = python3\nchdir = /srv/flask\nmodule = app:app\nmaster = true\nprocesses = 2\nsocket = /run/flask/uwsgi.sock\nchmod-socket = 660\nuid = www-data\ngid = www-data\nharakiri = 3\nvacuum = true\ndie-on-term = true\n',
    );
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/run/flask', '/var/log/flask']);
    box.write(
      '/etc/supervisor/conf.d/flask.conf',
      '[program:flask]\ncommand=/usr/bin/uwsgi --ini /srv/flask/uwsgi.ini\nautostart=true\nautorestart=true\nstopsignal=QUIT\nstdout_logfile=/var/log/flask/uwsgi.log\nredirect_stderr=true\n',
    );
    enableSite(box, 'flask', 'server {\n    listen 80;\n    server_name flask.example;\n\n    location / {\n        include uwsgi_params;\n        uwsgi_pass unix:/run/flask/uwsgi.sock;\n    }\n}\n');
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, answers('flask.example'), 'flask through uwsgi');
  });
  return { box, url: 'http://flask.example/export', host: 'flask.example' };
}

/**
 * The Flask quickstart's uwsgi (`uwsgi --http 127.0.0.1:5000`, an HTTP router; its --http-timeout 5, not 60, so the
 * router drops nginx's unreadable request within the test's time) under supervisord, behind a site
 * that speaks the uwsgi protocol to it (`uwsgi_pass 127.0.0.1:5000`).
 */
export async function flaskUwsgiHttpRouter(): Promise<Stack> {
  const box = await boxFor(['flask.example'], async (box) => {
    box.write('/srv/flask/app.py', FLASK_LIKE_APP);
    box.run(['install', '-d', '/var/log/flask']);
    box.write(
      '/etc/supervisor/conf.d/flask.conf',
      '[program:flask]\ncommand=/usr/bin/uwsgi --plugin python3,http --http 127.0.0.1:5000 --http-timeout 5 --master --processes 2 --chdir /srv/flask --module app:app\nuser=www-data\nautostart=true\nautorestart=true\nstopsignal=QUIT\nstdout_logfile=/var/log/flask/uwsgi.log\nredirect_stderr=true\n',
    );
    enableSite(box, 'flask', 'server {\n    listen 80;\n    server_name flask.example;\n\n    location / {\n        include uwsgi_params;\n        uwsgi_pass 127.0.0.1:5000;\n    }\n}\n');
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, tcpOpen(5000), "uwsgi's http router");
  });
  return { box, url: 'http://flask.example/', host: 'flask.example' };
}

/**
 * An Express API behind `location /api/` (proxy_pass with a URI part, WebSocket upgrade headers) beside a
 * static single-page app, run by pm2 with max_restarts 3: a deploy left out config.json, the app throws at
 * start, and pm2 starts it again and again (a crash loop).
 */
export async function expressPm2CrashLoop(): Promise<Stack> {
  const box = await boxFor(['app.example'], async (box) => {
    box.write('/srv/web/dist/index.html', '<!doctype html><title>app</title>\n');
    box.write(
      '/srv/api/server.js',
      "const http = require('node:http');\nconst config = require('./config.json');\nhttp.createServer((req, res) => res.end('api ok\\n')).listen(config.port, '127.0.0.1');\n",
    );
    box.write('/srv/api/ecosystem.config.js', "module.exports = { apps: [{ name: 'api', script: '/srv/api/server.js', cwd: '/srv/api', max_restarts: 3, min_uptime: 2000, restart_delay: 200 }] };\n");
    enableSite(
      box,
      'app',
      `server {
    listen 80;
    server_name app.example;
    root /srv/web/dist;

    location / {
        try_files $uri $uri/ /index.html;
    }

    location /api/ {
        proxy_pass http://127.0.0.1:3000/;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection 'upgrade';
        proxy_set_header Host $host;
        proxy_cache_bypass $http_upgrade;
    }
}
`,
    );
    box.run(['pm2', 'start', '/srv/api/ecosystem.config.js']);
    box.run(['nginx']);
    await waitInBox(box, ['sh', '-c', 'pm2 jlist | grep -Eq \'"restart_time":[2-9]\''], 'pm2 starting api again and again', 30_000);
  });
  return { box, url: 'http://app.example/api/orders', host: 'app.example' };
}

/** A python backend as a supervisord program named `name` on `port`. */
function pythonProgram(box: Box, name: string, port: number): void {
  box.write(
    `/etc/supervisor/conf.d/${name}.conf`,
    `[program:${name}]\ncommand=/usr/bin/python3 /srv/shop/server.py ${port}\nenvironment=APP_NAME="${name}"\nuser=www-data\nautostart=true\nautorestart=true\nstdout_logfile=/var/log/shop/${name}.log\nredirect_stderr=true\n`,
  );
}

/**
 * Blue/green: two upstreams in conf.d and a `map $http_host` choosing one, `proxy_pass http://$shop_upstream`;
 * each colour a supervisord program. The green one (beta.shop.example) is stopped.
 */
export async function mapChoosesUpstream(): Promise<Stack> {
  const box = await boxFor(['shop.example', 'beta.shop.example'], async (box) => {
    box.write('/srv/shop/server.py', PLAIN_APP);
    box.run(['install', '-d', '/var/log/shop']);
    pythonProgram(box, 'shop-blue', 8001);
    pythonProgram(box, 'shop-green', 8002);
    box.write(
      '/etc/nginx/conf.d/shop-upstreams.conf',
      'upstream shop_blue {\n    server 127.0.0.1:8001;\n}\n\nupstream shop_green {\n    server 127.0.0.1:8002;\n}\n\nmap $http_host $shop_upstream {\n    default          shop_blue;\n    beta.shop.example shop_green;\n}\n',
    );
    enableSite(
      box,
      'shop',
      'server {\n    listen 80;\n    server_name shop.example beta.shop.example;\n\n    location / {\n        include proxy_params;\n        proxy_pass http://$shop_upstream;\n    }\n}\n',
    );
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, answers('beta.shop.example'), 'green through nginx');
    box.run(['supervisorctl', 'stop', 'shop-green']);
  });
  return { box, url: 'http://beta.shop.example/', host: 'beta.shop.example' };
}

/** Starts the plain app by hand as an admin does: `nohup python3 server.py PORT > LOG 2>&1 &` from its folder, as www-data. */
function nohupStart(box: Box, folder: string, port: number, log: string): void {
  box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', folder.replace('/srv/', '/var/log/')]);
  box.run(['su', '-s', '/bin/sh', 'www-data', '-c', `cd ${folder} && nohup /usr/bin/python3 server.py ${port} > ${log} 2>&1 &`]);
}

/**
 * A backend started by hand with nohup (no init script, unit or supervisor), now dead; the site shows its own
 * error page over the 502 (`error_page 502 503 504 /50x.html`).
 */
export async function nohupDeadBehindErrorPage(): Promise<Stack> {
  const box = await boxFor(['orders.example'], async (box) => {
    box.write('/srv/orders/server.py', PLAIN_APP);
    box.write('/srv/errors/50x.html', '<h1>We will be right back</h1>\n');
    enableSite(
      box,
      'orders',
      'server {\n    listen 80;\n    server_name orders.example;\n    error_log /var/log/nginx/orders.error.log warn;\n\n    error_page 502 503 504 /50x.html;\n    location = /50x.html {\n        root /srv/errors;\n        internal;\n    }\n\n    location / {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:8005;\n    }\n}\n',
    );
    nohupStart(box, '/srv/orders', 8005, '/var/log/orders/nohup.out');
    box.run(['nginx']);
    await waitInBox(box, answers('orders.example'), 'the nohup backend');
    box.run(['pkill', '-KILL', '-f', '^/usr/bin/python3 server.py 8005']);
    await waitInBox(box, ['sh', '-c', '! pgrep -f "^/usr/bin/python3 server.py 8005" >/dev/null'], 'the nohup backend gone');
  });
  return { box, url: 'http://orders.example/', host: 'orders.example' };
}

/** The same nohup backend alive, raising on /orders: its traceback is only in nohup.out (its fd 1 and 2). */
export async function nohupTraceback(): Promise<Stack> {
  const box = await boxFor(['orders.example'], async (box) => {
    box.write('/srv/orders/server.py', PLAIN_APP);
    enableSite(box, 'orders', 'server {\n    listen 80;\n    server_name orders.example;\n\n    location / {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:8005;\n    }\n}\n');
    nohupStart(box, '/srv/orders', 8005, '/var/log/orders/nohup.out');
    box.run(['nginx']);
    await waitInBox(box, answers('orders.example'), 'the nohup backend');
  });
  return { box, url: 'http://orders.example/orders/17', host: 'orders.example' };
}

/** gunicorn on TCP under supervisord; the site logs only to syslog (a remote collector), and the program is stopped. */
export async function syslogOnlyStopped(): Promise<Stack> {
  const box = await boxFor(['shop.example'], async (box) => {
    box.write('/srv/shop/app.py', "def app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'shop ok\\n']\n");
    box.run(['install', '-d', '/var/log/shop']);
    box.write(
      '/etc/supervisor/conf.d/shop.conf',
      '[program:shop]\ncommand=/usr/bin/gunicorn --workers 2 --bind 127.0.0.1:8000 app:app\ndirectory=/srv/shop\nuser=www-data\nautostart=true\nautorestart=true\nstdout_logfile=/var/log/shop/out.log\nredirect_stderr=true\n',
    );
    enableSite(
      box,
      'shop',
      'server {\n    listen 80;\n    server_name shop.example;\n    access_log syslog:server=127.0.0.1:514,facility=local7,tag=nginx_shop combined;\n    error_log syslog:server=127.0.0.1:514,facility=local7,tag=nginx_shop;\n\n    location / {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:8000;\n    }\n}\n',
    );
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, answers('shop.example'), 'gunicorn through nginx');
    box.run(['supervisorctl', 'stop', 'shop']);
  });
  return { box, url: 'http://shop.example/', host: 'shop.example' };
}

/**
 * A fast site with a slow corner: `location /reports/` has proxy_read_timeout 4s, the rest nginx's default;
 * the backend a supervisord program. /reports/monthly takes 6 s: a 504, not a 502.
 */
export async function slowCornerTimeout(): Promise<Stack> {
  const box = await boxFor(['shop.example'], async (box) => {
    box.write('/srv/shop/server.py', PLAIN_APP);
    box.run(['install', '-d', '/var/log/shop']);
    pythonProgram(box, 'shop', 8000);
    enableSite(
      box,
      'shop',
      'server {\n    listen 80;\n    server_name shop.example;\n\n    location / {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:8000;\n    }\n\n    location /reports/ {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:8000;\n        proxy_read_timeout 4s;\n    }\n}\n',
    );
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, answers('shop.example'), 'the shop through nginx');
  });
  return { box, url: 'http://shop.example/reports/monthly', host: 'shop.example' };
}

/**
 * nginx.conf's own error_log at crit (Debian's file edited), no error_log in the site; a Node app run by
 * supervisord whose PORT is in the program's environment=, stopped.
 */
export async function globalCritNodeStopped(): Promise<Stack> {
  const box = await boxFor(['api.example'], async (box) => {
    box.write('/srv/api/server.js', "require('node:http').createServer((req, res) => res.end('api ok\\n')).listen(Number(process.env.PORT), '127.0.0.1');\n");
    box.run(['install', '-d', '/var/log/api']);
    box.write(
      '/etc/supervisor/conf.d/api.conf',
      '[program:api]\ncommand=/usr/bin/node /srv/api/server.js\ndirectory=/srv/api\nenvironment=PORT="4000",NODE_ENV="production"\nuser=www-data\nautostart=true\nautorestart=true\nstdout_logfile=/var/log/api/out.log\nstderr_logfile=/var/log/api/err.log\n',
    );
    box.run(['sed', '-i', 's|^\\s*error_log /var/log/nginx/error.log;|\terror_log /var/log/nginx/error.log crit;|', '/etc/nginx/nginx.conf']);
    enableSite(box, 'api', 'server {\n    listen 80;\n    server_name api.example;\n\n    location / {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:4000;\n    }\n}\n');
    box.run(['supervisord', '-c', '/etc/supervisor/supervisord.conf']);
    box.run(['nginx']);
    await waitInBox(box, answers('api.example'), 'the api through nginx');
    box.run(['supervisorctl', 'stop', 'api']);
    await sleep(100);
  });
  return { box, url: 'http://api.example/', host: 'api.example' };
}
