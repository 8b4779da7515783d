import { spawn } from 'node:child_process';
import { type Box, waitInBox } from './box.js';
import { gunicornUnderSupervisor, initScriptBackend, nodeUnderPm2, removeOnError, type Stack, uwsgiApp } from './stacks.js';

/**
 * More ways the lab's stacks (src/live/stacks.ts) break, set up on the started stack the way they break on real
 * boxes: a slow view, workers all busy, a socket nginx's user may not open, an app on another port.
 */

/** The shop's WSGI app with a slow view: "/slow?s=N" answers after N seconds (at most 60). */
export const SLOW_WSGI_APP = `import time
from urllib.parse import parse_qs

def app(environ, start_response):
    if environ.get('PATH_INFO') == '/slow':
        seconds = float(parse_qs(environ.get('QUERY_STRING', '')).get('s', ['5'])[0])
        time.sleep(min(seconds, 60))
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'shop ok\\n']
`;

/** Starts `count` requests in the box that hold the backend busy (bounded: curl gives up after `maxSeconds`; they die with the box). */
export function holdBusy(box: Box, url: string, count: number, maxSeconds: number): void {
  for (let i = 0; i < count; i++) {
    const argv = box.exec(['curl', '-s', '-o', '/dev/null', '-m', String(maxSeconds), url]);
    spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' }).unref();
  }
}

/**
 * gunicorn under supervisord as lab/stacks.ts runs it, with `workers` sync workers and the slow view; the
 * program's command line rewritten in its supervisor conf and the program restarted with supervisorctl.
 */
export async function gunicornSlow(options: { workers: number; proxyExtra?: string; gunicornExtra?: string }): Promise<Stack> {
  const stack = await gunicornUnderSupervisor({ proxyExtra: options.proxyExtra });
  return removeOnError(stack, async () => {
    stack.box.write('/srv/shop/app.py', SLOW_WSGI_APP);
    const conf = stack.box.read('/etc/supervisor/conf.d/shop.conf').replace('--workers 2', `--workers ${options.workers}${options.gunicornExtra ? ` ${options.gunicornExtra}` : ''}`);
    stack.box.write('/etc/supervisor/conf.d/shop.conf', conf);
    stack.box.run(['supervisorctl', 'update']);
    stack.box.run(['supervisorctl', 'restart', 'shop']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'gunicorn with the slow view');
    return stack;
  });
}

/**
 * gunicorn with one sync worker, held busy by two requests to a view that takes 40 s (bounded), nginx's
 * proxy_read_timeout 3s: every other request waits in the socket's queue. Returned once gunicorn's
 * listening socket shows a connection waiting to be accepted.
 */
export async function gunicornAllWorkersBusy(): Promise<Stack> {
  const stack = await gunicornSlow({ workers: 1, proxyExtra: 'proxy_read_timeout 3s;' });
  return removeOnError(stack, async () => {
    holdBusy(stack.box, 'http://shop.example/slow?s=40', 2, 45);
    await waitInBox(stack.box, ['sh', '-c', "ss -Hlx src /run/shop/gunicorn.sock | awk '$3 > 0 { found = 1 } END { exit !found }'"], 'a connection waiting in the queue');
    return stack;
  });
}

/** Debian's uwsgi with the slow view and its app ini's extra lines (e.g. processes, listen), restarted by its init script and (unless `nginxReaches` is false) answering through nginx; `nginxExtra`: lines after uwsgi_pass. */
export async function uwsgiSlow(iniExtra: string, nginxExtra = '', nginxReaches = true): Promise<Stack> {
  const stack = await uwsgiApp(nginxExtra ? { nginxPass: `include uwsgi_params;\n        uwsgi_pass unix:/run/uwsgi/app/shop/socket;\n        ${nginxExtra}` } : {});
  return removeOnError(stack, async () => {
    stack.box.write('/srv/shop/app.py', SLOW_WSGI_APP);
    stack.box.write('/etc/uwsgi/apps-available/shop.ini', `${stack.box.read('/etc/uwsgi/apps-available/shop.ini')}${iniExtra}`);
    stack.box.run(['service', 'uwsgi', 'restart']);
    // Restarted: the old master gone (its pidfile names the new one), and the app answers through nginx.
    const onlyNew = 'm=$(cat /run/uwsgi/app/shop/pid) && for p in $(pgrep -x uwsgi); do [ "$p" = "$m" ] || [ "$(ps -o ppid= -p "$p" | tr -d " ")" = "$m" ] || exit 1; done';
    const answers = nginxReaches ? " && curl -sf -o /dev/null -H 'Host: shop.example' http://127.0.0.1/" : ' && test -S /run/uwsgi/app/shop/socket';
    await waitInBox(stack.box, ['sh', '-c', `${onlyNew}${answers}`], 'uwsgi restarted');
    return stack;
  });
}

/** gunicorn run by supervisord as root with `--umask 077`: its socket is root's alone, and nginx's www-data workers get 13. */
export async function gunicornPrivateSocket(): Promise<Stack> {
  const stack = await gunicornUnderSupervisor();
  return removeOnError(stack, async () => {
    const conf = stack.box
      .read('/etc/supervisor/conf.d/shop.conf')
      .replace('--workers 2', '--workers 2 --umask 077')
      .replace(/^user=.*\n/m, '');
    stack.box.write('/etc/supervisor/conf.d/shop.conf', conf);
    stack.box.run(['supervisorctl', 'update']);
    stack.box.run(['supervisorctl', 'restart', 'shop']);
    await waitInBox(stack.box, ['sh', '-c', 'test "$(stat -c %a /run/shop/gunicorn.sock)" = 700'], 'the private socket');
    return stack;
  });
}

/** The init-script backend whose /etc/default file moved it to another port than nginx dials. */
export async function initScriptOtherPort(port: number): Promise<Stack> {
  const stack = await initScriptBackend();
  return removeOnError(stack, async () => {
    stack.box.run(['sed', '-i', `s/^PORT=.*/PORT=${port}/`, '/etc/default/shop-api']);
    stack.box.run(['service', 'shop-api', 'restart']);
    await waitInBox(stack.box, ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], 'the backend on its new port');
    return stack;
  });
}

/** The Node app under pm2 whose ecosystem file gives it another PORT than nginx dials; pm2 restarted with --update-env. */
export async function pm2OtherPort(port: number): Promise<Stack> {
  const stack = await nodeUnderPm2();
  return removeOnError(stack, async () => {
    stack.box.run(['sed', '-i', `s/PORT: 3000/PORT: ${port}/`, '/srv/api/ecosystem.config.js']);
    stack.box.run(['pm2', 'restart', '/srv/api/ecosystem.config.js', '--update-env']);
    await waitInBox(stack.box, ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], 'the app on its new port');
    return stack;
  });
}

/**
 * Debian's uwsgi with one process and a listen queue of 2 (uwsgi's `listen`), held busy by six requests to a
 * view that takes 40 s (bounded): the queue overflows and uwsgi logs "listen queue of socket ... full".
 */
export async function uwsgiQueueFull(): Promise<Stack> {
  const stack = await uwsgiSlow('processes = 1\nlisten = 2\n');
  return removeOnError(stack, async () => {
    holdBusy(stack.box, 'http://shop.example/slow?s=40', 6, 45);
    await waitInBox(stack.box, ['sh', '-c', "ss -Hlx src /run/uwsgi/app/shop/socket | awk '$3 >= $4 { found = 1 } END { exit !found }'"], 'the full queue');
    return stack;
  });
}

/**
 * Debian's uwsgi whose app gives its socket to another user: `chown-socket = nobody:nogroup` and `chmod-socket = 600`
 * in apps-enabled/shop.ini (over Debian's www-data and 660), so nginx's www-data workers get 13 (Permission denied).
 */
export async function uwsgiPrivateSocket(): Promise<Stack> {
  const stack = await uwsgiSlow('chown-socket = nobody:nogroup\nchmod-socket = 600\n', '', false);
  return removeOnError(stack, async () => {
    await waitInBox(stack.box, ['sh', '-c', 'test "$(stat -c %a:%U /run/uwsgi/app/shop/socket)" = 600:nobody'], 'the private socket');
    return stack;
  });
}

/** Adds a directive after the proxy_pass of a box's site in sites-available and reloads nginx. */
export function addToProxyPass(box: Box, site: string, directive: string): void {
  box.run(['sed', '-i', `s|^\\(\\s*\\)\\(proxy_pass .*;\\)$|\\1\\2\\n\\1${directive}|`, `/etc/nginx/sites-available/${site}`]);
  box.run(['nginx', '-s', 'reload']);
}

/** Every process whose command line matches `pattern` stopped with SIGSTOP, as a hung backend is; their pids, sorted. */
export function stopProcesses(box: Box, pattern: string): string[] {
  const pids = box.run(['pgrep', '-f', pattern]).trim().split(/\s+/).sort();
  box.run(['kill', '-STOP', '--', ...pids]);
  return pids;
}

/** The pm2 app of nodeUnderPm2 where "/throw" throws an uncaught exception (the process dies, pm2 starts it again). */
export async function pm2AppThatThrows(): Promise<Stack> {
  const stack = await nodeUnderPm2();
  return removeOnError(stack, async () => {
    stack.box.write(
      '/srv/api/server.js',
      "const http = require('node:http');\nhttp\n  .createServer((req, res) => {\n    if (req.url === '/throw') throw new Error('cannot read the order');\n    res.end('api ok\\n');\n  })\n  .listen(Number(process.env.PORT || 3000), '127.0.0.1');\n",
    );
    stack.box.run(['pm2', 'restart', 'api']);
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: api.example', 'http://127.0.0.1/'], 'the app restarted');
    return stack;
  });
}
