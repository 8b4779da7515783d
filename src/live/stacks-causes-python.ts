import { waitInBox } from './box.js';
import { gunicornUnderSupervisor, removeOnError, type Stack, uwsgiApp } from './stacks.js';

/**
 * The lab's Python stacks (src/live/stacks.ts) broken the ways the plain lab proved first: a backend bound to
 * another loopback address than nginx dials, a response head bigger than nginx's buffer, a header name nginx
 * refuses.
 */

/** The shop's WSGI app with "/big" (40 cookies of 200 bytes), "/odd" (a header name with a space in it) and "/502" (the app's own 502). */
const CAUSES_WSGI_APP = `def app(environ, start_response):
    path = environ.get('PATH_INFO')
    headers = [('Content-Type', 'text/plain')]
    if path == '/502':
        start_response('502 Bad Gateway', headers)
        return [b'payments upstream down\\n']
    if path == '/big':
        headers += [('Set-Cookie', 'pref%d=%s; Path=/' % (i, 'x' * 200)) for i in range(40)]
    elif path == '/odd':
        headers.append(('X Order Id', '7'))
    start_response('200 OK', headers)
    return [b'shop ok\\n']
`;

const answersThroughNginx = (host: string) => ['curl', '-sf', '-o', '/dev/null', '-H', `Host: ${host}`, 'http://127.0.0.1/'];

/** gunicorn under supervisord bound to `bind` (e.g. 127.0.0.2:8000 or [::1]:8000) while nginx dials http://127.0.0.1:8000; `neighbours`: among a real box's other sites. */
export function gunicornOtherAddress(bind: string, neighbours = false): Promise<Stack> {
  return gunicornUnderSupervisor({ gunicornBind: bind, nginxDials: 'http://127.0.0.1:8000', neighbours });
}

/** gunicorn under supervisord serving the app with "/big" and "/odd", restarted by supervisorctl. */
export async function gunicornCausesApp(): Promise<Stack> {
  const stack = await gunicornUnderSupervisor();
  return removeOnError(stack, async () => {
    stack.box.write('/srv/shop/app.py', CAUSES_WSGI_APP);
    stack.box.run(['supervisorctl', 'restart', 'shop']);
    await waitInBox(stack.box, answersThroughNginx(stack.host), 'gunicorn with the new app');
    return stack;
  });
}

/**
 * Debian's uwsgi serving the app with "/big" and "/odd"; `iniExtra` appended to apps-enabled/shop.ini,
 * `pass` the location's lines in nginx (uwsgi_pass to Debian's socket by default).
 */
export async function uwsgiCausesApp(options: { iniExtra?: string; pass?: string; ready?: string[] } = {}): Promise<Stack> {
  const stack = await uwsgiApp(options.pass ? { nginxPass: options.pass } : {});
  return removeOnError(stack, async () => {
    stack.box.write('/srv/shop/app.py', CAUSES_WSGI_APP);
    if (options.iniExtra) stack.box.write('/etc/uwsgi/apps-available/shop.ini', `${stack.box.read('/etc/uwsgi/apps-available/shop.ini')}${options.iniExtra}`);
    stack.box.run(['service', 'uwsgi', 'restart']);
    // Restarted: the old master gone (its pidfile names the new one), then ready where the test needs it.
    const onlyNew = 'm=$(cat /run/uwsgi/app/shop/pid) && for p in $(pgrep -x uwsgi); do [ "$p" = "$m" ] || [ "$(ps -o ppid= -p "$p" | tr -d " ")" = "$m" ] || exit 1; done';
    await waitInBox(stack.box, ['sh', '-c', onlyNew], 'uwsgi restarted');
    await waitInBox(stack.box, options.ready ?? answersThroughNginx(stack.host), 'uwsgi with the new app');
    return stack;
  });
}
