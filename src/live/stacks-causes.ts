import { type Box, waitInBox } from './box.js';
import { enableSite, initScriptBackend, nodeUnderPm2, phpFpmDebian, removeOnError, type Stack } from './stacks.js';

/**
 * The causes the plain lab proves, set up on the real stacks of src/live/stacks.ts the way they happen there:
 * a bind address from the ecosystem file, /etc/default or the php-fpm pool; a page with more cookies than
 * nginx's header buffer holds; a handler that writes a malformed header line itself; Node's own keep-alive
 * timeout under nginx's upstream keepalive.
 */

/** The response head of a legacy handler that writes to the socket itself: a line feed inside a header value. */
const MALFORMED_HEAD = 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nX-Status-Message: order saved\\nsee the audit log\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n';

/**
 * The pm2 stack's Node app with the routes that break: it listens on HOST (default 127.0.0.1) and PORT;
 * "/cookies" sets 40 cookies of 200 bytes; "/legacy" writes its answer to the socket itself, with a line feed
 * inside a header value; "/report" computes for 3 s without yielding (the event loop is blocked meanwhile).
 */
const NODE_APP = `const http = require('node:http');
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
http
  .createServer((req, res) => {
    if (req.url === '/legacy') {
      req.socket.end('${MALFORMED_HEAD}');
      return;
    }
    if (req.url === '/cookies') {
      res.setHeader('Set-Cookie', Array.from({ length: 40 }, (_, i) => 'pref' + i + '=' + 'x'.repeat(200) + '; Path=/'));
    }
    if (req.url === '/report') {
      const until = Date.now() + 3000;
      while (Date.now() < until);
    }
    req.resume();
    req.on('end', () => res.end('api ok\\n'));
  })
  .listen(port, host);
`;

/** A URL of host:port as curl takes it (an IPv6 address in brackets). */
const hostUrl = (host: string, port: number, path = '/') => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

/**
 * The Node app under pm2 with the routes above; `env` entries join PORT in the ecosystem file's env (HOST: the
 * address it listens on). pm2 started again from the ecosystem file, so the app runs with them.
 */
export async function pm2App(env: Record<string, string> = {}): Promise<Stack> {
  const stack = await nodeUnderPm2();
  return removeOnError(stack, async () => {
    const box = stack.box;
    box.write('/srv/api/server.js', NODE_APP);
    const extra = Object.entries(env)
      .map(([k, v]) => `, ${k}: '${v}'`)
      .join('');
    box.write('/srv/api/ecosystem.config.js', `module.exports = { apps: [{ name: 'api', script: '/srv/api/server.js', env: { PORT: 3000${extra} } }] };\n`);
    box.run(['pm2', 'delete', 'api']);
    box.run(['pm2', 'start', '/srv/api/ecosystem.config.js']);
    await waitInBox(box, ['curl', '-sfg', '-o', '/dev/null', hostUrl(env.HOST ?? '127.0.0.1', 3000)], 'the app under pm2 on its address');
    return stack;
  });
}

/**
 * The pm2 app behind an upstream{} with `keepalive 8` (HTTP/1.1 and an empty Connection header, as nginx's
 * docs set it up) on /api/: nginx keeps idle connections 60 s (its default), Node closes them after its own
 * keepAliveTimeout (5 s, plus the second Node adds).
 */
export async function pm2AppKeepalive(): Promise<Stack> {
  const stack = await pm2App();
  return removeOnError(stack, async () => {
    enableSite(
      stack.box,
      'api',
      `upstream api_backend {
    server 127.0.0.1:3000;
    keepalive 8;
}

server {
    listen 80;
    server_name api.example;
    access_log /var/log/nginx/api.example.access.log;
    error_log /var/log/nginx/api.example.error.log;

    location /api/ {
        include proxy_params;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://api_backend;
    }
}
`,
    );
    const before = nginxWorkers(stack.box);
    stack.box.run(['nginx', '-s', 'reload']);
    await oldWorkersGone(stack.box, before);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', 'http://api.example/api/orders'], 'the keepalive upstream');
    return { ...stack, url: 'http://api.example/api/orders' };
  });
}

/** nginx's worker processes now. */
export function nginxWorkers(box: Box): string[] {
  return box.run(['pgrep', '-f', '^nginx: worker process']).trim().split(/\s+/);
}

/** Waits until the workers of before a reload are gone: until then they still take connections, and close each after one answer. */
export async function oldWorkersGone(box: Box, workers: readonly string[]): Promise<void> {
  await waitInBox(box, ['sh', '-c', 'for p do ! kill -0 "$p" 2>/dev/null || exit 1; done', 'sh', ...workers], "nginx's old workers gone");
}

/** The race in the box's python3: both POSTs on one client connection, so the same nginx worker (and its cache of idle connections) serves them. */
const RACE = `import http.client, socket, time
nginx = http.client.HTTPConnection('127.0.0.1', 80, timeout=10)
def post():
    nginx.request('POST', '/api/orders', body='item=1', headers={'Host': 'api.example'})
    answer = nginx.getresponse()
    answer.read()
    return answer.status
first = post()
time.sleep(5)
job = socket.create_connection(('127.0.0.1', 3000), timeout=10)
job.sendall(b'GET /report HTTP/1.1\\r\\nHost: api.example\\r\\nConnection: close\\r\\n\\r\\n')
time.sleep(2)
second = post()
while job.recv(4096):
    pass
print(first, second)
`;

/**
 * The race for real, in the box: a POST through nginx leaves an idle kept connection; 5 s later a job calls
 * the app's /report directly, which blocks Node's event loop for 3 s; 2 s into it (the connection idle 7 s) a
 * second POST goes through nginx on the kept connection. When the loop runs again Node's keep-alive timer (6 s)
 * has expired: it destroys the connection with the POST unread, the kernel resets it, and nginx, which never
 * sends a POST twice, answers 502. The two POSTs' status codes.
 */
export function keepaliveRace(box: Box): [string, string] {
  const [first = '', second = ''] = box.run(['python3', '-c', RACE]).trim().split(/\s+/);
  return [first, second];
}

/**
 * The init-script backend as a Python server that also takes its bind address (BIND in /etc/default/shop-api,
 * passed by the init script) and has the routes that break: "/cookies" sets 40 cookies of 200 bytes, "/legacy"
 * writes a header line broken by a line feed.
 */
const PY_SERVER = `import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socket

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/legacy':
            self.wfile.write(b'${MALFORMED_HEAD}')
            return
        body = b'api ok\\n'
        self.send_response(200)
        if self.path == '/cookies':
            for i in range(40):
                self.send_header('Set-Cookie', 'pref%d=%s; Path=/' % (i, 'x' * 200))
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET

Server((sys.argv[2], int(sys.argv[1])), Handler).serve_forever()
`;

/** The init-script backend with the server above; `bind` is BIND in /etc/default/shop-api (the init script's default 127.0.0.1). */
export async function initScriptApp(bind?: string): Promise<Stack> {
  const stack = await initScriptBackend();
  return removeOnError(stack, async () => {
    const box = stack.box;
    box.write('/srv/shop-api/server.py', PY_SERVER);
    const script = box.read('/etc/init.d/shop-api').replace('PORT=8000\n', 'PORT=8000\nBIND=127.0.0.1\n').replace('server.py "$PORT"', 'server.py "$PORT" "$BIND"');
    box.write('/etc/init.d/shop-api', script, 0o755);
    if (bind) box.write('/etc/default/shop-api', `${box.read('/etc/default/shop-api')}BIND=${bind}\n`);
    box.run(['service', 'shop-api', 'restart']);
    await waitInBox(box, ['curl', '-sfg', '-o', '/dev/null', hostUrl(bind ?? '127.0.0.1', 8001)], 'the init-script backend on its address');
    return stack;
  });
}

/**
 * Debian's php8.2-fpm whose www pool listens on TCP `listen` (e.g. [::1]:9000) while the site's fastcgi_pass
 * dials `pass` (e.g. 127.0.0.1:9000); php-fpm restarted by its init script, nginx reloaded.
 */
export async function phpFpmListening(listen: string, pass: string): Promise<Stack> {
  const stack = await phpFpmDebian();
  return removeOnError(stack, async () => {
    const box = stack.box;
    box.run(['sed', '-i', `s|^listen = .*|listen = ${listen}|`, '/etc/php/8.2/fpm/pool.d/www.conf']);
    box.run(['sed', '-i', `s|fastcgi_pass unix:/run/php/php8.2-fpm.sock;|fastcgi_pass ${pass};|`, '/etc/nginx/sites-available/blog']);
    box.run(['service', 'php8.2-fpm', 'restart']);
    box.run(['nginx', '-s', 'reload']);
    const [host, port] = [listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, ''), listen.slice(listen.lastIndexOf(':') + 1)];
    await waitInBox(box, ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], 'php-fpm on its TCP address');
    return stack;
  });
}

/**
 * Debian's php8.2-fpm on 127.0.0.1:9000 behind an upstream{} with `keepalive 8` and `fastcgi_keep_conn on`
 * (nginx keeps FastCGI connections for reuse), its www pool static with 2 children that each end after
 * `maxRequests` requests (pm.max_requests, php-fpm's guard against leaking scripts).
 */
export async function phpFpmKeepConn(maxRequests: number): Promise<Stack> {
  const stack = await phpFpmListening('127.0.0.1:9000', '127.0.0.1:9000');
  return removeOnError(stack, async () => {
    const box = stack.box;
    const site = box.read('/etc/nginx/sites-available/blog').replace('fastcgi_pass 127.0.0.1:9000;', 'fastcgi_pass php_pool;\n        fastcgi_keep_conn on;');
    box.write('/etc/nginx/sites-available/blog', `upstream php_pool {\n    server 127.0.0.1:9000;\n    keepalive 8;\n}\n\n${site}`);
    const pool = `s|^pm = .*|pm = static|; s|^pm.max_children = .*|pm.max_children = 2|; s|^;*pm.max_requests = .*|pm.max_requests = ${maxRequests}|`;
    box.run(['sed', '-i', pool, '/etc/php/8.2/fpm/pool.d/www.conf']);
    box.run(['service', 'php8.2-fpm', 'restart']);
    const before = nginxWorkers(box);
    box.run(['nginx', '-s', 'reload']);
    await oldWorkersGone(box, before);
    await waitInBox(box, ['curl', '-sf', '-o', '/dev/null', 'http://blog.example/index.php'], 'the kept FastCGI connections');
    return { ...stack, url: 'http://blog.example/index.php' };
  });
}

/** The POSTs in the box's python3, on one client connection to nginx (a new one when nginx closes it). */
const POSTS = `import http.client, sys, time
from urllib.parse import urlsplit
url, count = urlsplit(sys.argv[1]), int(sys.argv[2])
end = time.monotonic() + 60
nginx = http.client.HTTPConnection('127.0.0.1', 80, timeout=5)
sent = 0
while sent < count and time.monotonic() < end:
    sent += 1
    try:
        nginx.request('POST', url.path, body='item=1', headers={'Host': url.hostname, 'Content-Type': 'application/x-www-form-urlencoded'})
        answer = nginx.getresponse()
        answer.read()
        status = answer.status
    except (OSError, http.client.HTTPException):
        nginx.close()
        continue
    if status == 502:
        print(sent, 'failed')
        sys.exit(0)
print(sent, 'ok')
`;

/**
 * POSTs to `url` one after another until nginx answers one with 502 (a child ended on the connection nginx had
 * just sent it on), at most `count` of them (bounded, and 60 s at most): how many were sent, and whether one failed.
 */
export function postsUntil502(box: Box, url: string, count: number): { sent: number; failed: boolean } {
  const [sent = '0', how = ''] = box
    .run(['python3', '-c', POSTS, url, String(count)])
    .trim()
    .split(' ');
  return { sent: Number(sent), failed: how === 'failed' };
}
