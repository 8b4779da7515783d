import { type Box, startBox, waitInBox } from './box.js';
import { enableSite, gunicornUnderSupervisor, proxySite, type Stack, superviseWithRunit, superviseWithS6 } from './stacks.js';

/**
 * Backends that crash, on the stacks that run them the way real boxes do: an init script with its
 * /etc/default file (with or without a loop that starts the program again), runit, s6 and pm2. Each crash is
 * real: a segmentation fault on "/crash" (Python's fault handler writes where), or an exception at start
 * while /srv/shop-api/broken (or the Node app's bad setting) is in place, so the service dies at once again
 * and again.
 */

/**
 * The API: "/" answers, "/crash" dies of SIGSEGV mid-request. With --log it logs there (requests and the
 * fault handler's report), else to stderr. At start it raises while /srv/shop-api/broken exists.
 */
const CRASHING_SERVER = `import argparse, ctypes, faulthandler, logging, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument('--port', type=int, required=True)
parser.add_argument('--log')
args = parser.parse_args()
stream = open(args.log, 'a', buffering=1) if args.log else sys.stderr
logging.basicConfig(stream=stream, level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
faulthandler.enable(file=stream)

if os.path.exists('/srv/shop-api/broken'):
    raise RuntimeError('settings missing DATABASE_URL')

class Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *values):
        logging.info(format, *values)

    def do_GET(self):
        logging.info('GET %s', self.path)
        if self.path == '/crash':
            ctypes.string_at(0)
        body = b'api ok\\n'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

logging.info('listening on 127.0.0.1:%d', args.port)
ThreadingHTTPServer(('127.0.0.1', args.port), Handler).serve_forever()
`;

/**
 * A SysV init script shaped like Debian's skeleton: its options from /etc/default/shop-api. With RESPAWN=yes
 * it runs the program in a loop that starts it again a second after it dies (as hand-written scripts do).
 */
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
RUN_AS=www-data
RESPAWN=no
DAEMON_OPTS=
[ -r /etc/default/$NAME ] && . /etc/default/$NAME

case "$1" in
  start)
    if [ "$RESPAWN" = yes ]; then
      start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --chuid "$RUN_AS" \\
        --startas /bin/sh -- -c "while :; do $DAEMON /srv/shop-api/server.py $DAEMON_OPTS; sleep 1; done"
    else
      start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" --chuid "$RUN_AS" \\
        --startas "$DAEMON" -- /srv/shop-api/server.py $DAEMON_OPTS
    fi
    ;;
  stop)
    start-stop-daemon --stop --quiet --retry 5 --pidfile "$PIDFILE" --remove-pidfile
    ;;
  restart)
    "$0" stop
    "$0" start
    ;;
  *)
    echo "Usage: $0 {start|stop|restart}" >&2
    exit 3
    ;;
esac
`;

/** Done once the service's log holds this many deaths at start (runsv and s6-supervise wait a second between starts). */
const deathsLogged = (count: number) => ['sh', '-c', `[ "$(grep -c '^.* RuntimeError: ' /var/log/shop-api/current)" -ge ${count} ]`];

const tcpOpen = (port: number) => ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`];

async function onBox(setup: (box: Box) => Promise<void>): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 api.example\n`);
    await setup(box);
    return { box, url: 'http://api.example/', host: 'api.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/**
 * The API started by /etc/init.d/shop-api on port 8001, its log named by its own argv (--log
 * /var/log/shop-api/api.log, from DAEMON_OPTS in /etc/default/shop-api); with `respawn`, started again a
 * second after it dies. "/crash" kills it.
 */
export function initScriptCrashing(options: { respawn: boolean }): Promise<Stack> {
  return onBox(async (box) => {
    box.write('/srv/shop-api/server.py', CRASHING_SERVER);
    box.write('/etc/init.d/shop-api', INIT_SCRIPT, 0o755);
    box.write('/etc/default/shop-api', `# Settings for /etc/init.d/shop-api\nDAEMON_OPTS="--port 8001 --log /var/log/shop-api/api.log"\nRESPAWN=${options.respawn ? 'yes' : 'no'}\n`);
    box.run(['install', '-d', '-o', 'www-data', '-g', 'www-data', '/var/log/shop-api']);
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:8001'));
    box.run(['service', 'shop-api', 'start']);
    box.run(['nginx']);
    await waitInBox(box, tcpOpen(8001), 'the init script backend');
  });
}

/**
 * The API as a runit service (/etc/sv/shop-api linked into /etc/service, runsvdir -P /etc/service) on port
 * 8002, its output through svlogd -tt into /var/log/shop-api/current. With `broken`, it raises at start and
 * runsv starts it again every second.
 */
export function runitCrashing(options: { broken: boolean }): Promise<Stack> {
  return onBox(async (box) => {
    box.write('/srv/shop-api/server.py', CRASHING_SERVER);
    if (options.broken) box.write('/srv/shop-api/broken', 'a bad deploy\n');
    superviseWithRunit(box, '/srv/shop-api/server.py --port 8002', 8002);
    box.run(['nginx']);
    await waitInBox(box, options.broken ? deathsLogged(3) : tcpOpen(8002), 'the runit service', 20_000);
  });
}

/**
 * The API as an s6 service in the scan directory /run/service (s6-svscan) on port 8003, its output through
 * s6-log (TAI64N stamps) into /var/log/shop-api/current. With `broken`, it raises at start and
 * s6-supervise starts it again every second.
 */
export function s6Crashing(options: { broken: boolean }): Promise<Stack> {
  return onBox(async (box) => {
    box.write('/srv/shop-api/server.py', CRASHING_SERVER);
    if (options.broken) box.write('/srv/shop-api/broken', 'a bad deploy\n');
    superviseWithS6(box, '/srv/shop-api/server.py --port 8003', 8003);
    box.run(['nginx']);
    await waitInBox(box, options.broken ? deathsLogged(3) : tcpOpen(8003), 'the s6 service', 20_000);
  });
}

/**
 * A Node app under pm2 (PORT=3000) that throws at start: pm2 starts it again until max_restarts (3) unstable
 * starts, then marks it errored and leaves it down. Returned once pm2 has given up.
 */
export function pm2Errored(): Promise<Stack> {
  return onBox(async (box) => {
    box.write(
      '/srv/api/server.js',
      "const http = require('node:http');\nif (!process.env.DATABASE_URL) throw new Error('settings missing DATABASE_URL');\nhttp.createServer((req, res) => res.end('api ok\\n')).listen(Number(process.env.PORT || 3000), '127.0.0.1');\n",
    );
    box.write('/srv/api/ecosystem.config.js', "module.exports = { apps: [{ name: 'api', script: '/srv/api/server.js', env: { PORT: 3000 }, max_restarts: 3, min_uptime: 2000 }] };\n");
    enableSite(box, 'api', proxySite('api.example', 'http://127.0.0.1:3000'));
    box.run(['pm2', 'start', '/srv/api/ecosystem.config.js']);
    box.run(['nginx']);
    await waitInBox(box, ['sh', '-c', 'pm2 jlist | grep -q \'"status":"errored"\''], 'pm2 giving up on the app', 30_000);
  });
}

/**
 * gunicorn under supervisord (gunicornUnderSupervisor, on /run/shop/gunicorn.sock) after a bad deploy: the app
 * raises at import, so no worker boots and gunicorn exits; supervisord starts it again until it gives up
 * (FATAL). Returned once supervisord says FATAL.
 */
export async function gunicornFatal(): Promise<Stack> {
  const stack = await gunicornUnderSupervisor();
  try {
    stack.box.write('/srv/shop/app.py', "import os\n\nDATABASE_URL = os.environ['DATABASE_URL']\n\ndef app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'shop ok\\n']\n");
    // A start counts as failed only if gunicorn dies within startsecs (1 s by default). On a busy machine the
    // failing gunicorn can live longer than that, and supervisord then restarts it for ever instead of giving
    // up: 10 s makes every failing start count, however slow.
    const conf = '/etc/supervisor/conf.d/shop.conf';
    stack.box.write(conf, `${stack.box.read(conf)}startsecs=10\n`);
    // update restarts the program with the new config; its starts then fail until supervisord gives up.
    stack.box.run(['sh', '-c', 'supervisorctl update shop || true']);
    await waitInBox(stack.box, ['sh', '-c', 'supervisorctl status shop | grep -q FATAL'], 'supervisord giving up on gunicorn', 45_000);
    return stack;
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}
