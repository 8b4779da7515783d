import { startBox, waitInBox } from './box.js';
import { holdBusy, SLOW_WSGI_APP } from './stacks-more.js';
import { enableSite, proxySite, type Stack, sysvInitScript } from './stacks.js';

/**
 * gunicorn (Debian's package) started by a SysV init script, /etc/init.d/shop, shaped like Debian's skeleton:
 * start-stop-daemon with gunicorn's own pidfile, its flags in DAEMON_OPTS of /etc/default/shop (which the
 * script sources), behind nginx's sites-enabled/shop on shop.example. No systemd, no supervisord.
 */
const INIT_SCRIPT = sysvInitScript({
  name: 'shop',
  description: 'the shop (gunicorn)',
  settings: ['DAEMON=/usr/bin/gunicorn', 'PIDFILE=/run/shop/gunicorn.pid', 'DAEMON_OPTS="--workers 2 --bind unix:/run/shop/gunicorn.sock app:app"'],
  start: [
    '    install -d /run/shop /var/log/shop',
    '    start-stop-daemon --start --quiet --background --pidfile "$PIDFILE" --chdir /srv/shop --startas "$DAEMON" -- \\',
    '      --pid "$PIDFILE" --error-logfile /var/log/shop/error.log $DAEMON_OPTS',
  ].join('\n'),
  stop: '    start-stop-daemon --stop --quiet --retry TERM/10/KILL/5 --pidfile "$PIDFILE" --remove-pidfile',
});

/** The stack, its /etc/default/shop giving gunicorn `options` (the bind and the app are added). */
export async function gunicornUnderInitScript(options: string, proxyExtra = ''): Promise<Stack> {
  const box = await startBox();
  try {
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 shop.example\n`);
    box.write('/srv/shop/app.py', SLOW_WSGI_APP);
    box.write('/etc/init.d/shop', INIT_SCRIPT, 0o755);
    box.write('/etc/default/shop', `# Settings for /etc/init.d/shop\nDAEMON_OPTS="${options} --bind unix:/run/shop/gunicorn.sock app:app"\n`);
    enableSite(box, 'shop', proxySite('shop.example', 'http://unix:/run/shop/gunicorn.sock', proxyExtra));
    box.run(['service', 'shop', 'start']);
    box.run(['nginx']);
    await waitInBox(box, ['test', '-S', '/run/shop/gunicorn.sock'], 'gunicorn under its init script');
    return { box, url: 'http://shop.example/', host: 'shop.example' };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/** One sync worker held busy by two 40 s requests (bounded), proxy_read_timeout 3s: the next request waits in the socket's queue. */
export async function initGunicornAllWorkersBusy(): Promise<Stack> {
  const stack = await gunicornUnderInitScript('--workers 1 --user www-data --group www-data', 'proxy_read_timeout 3s;');
  try {
    await waitInBox(stack.box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: shop.example', 'http://127.0.0.1/'], 'gunicorn answering through nginx');
    holdBusy(stack.box, 'http://shop.example/slow?s=40', 2, 45);
    await waitInBox(stack.box, ['sh', '-c', "ss -Hlx src /run/shop/gunicorn.sock | awk '$3 > 0 { found = 1 } END { exit !found }'"], 'a connection waiting in the queue');
    return stack;
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}

/** gunicorn run as root with --umask 077: its socket is root's alone, nginx's www-data workers get 13. */
export async function initGunicornPrivateSocket(): Promise<Stack> {
  const stack = await gunicornUnderInitScript('--workers 2 --umask 077');
  try {
    await waitInBox(stack.box, ['sh', '-c', 'test "$(stat -c %a /run/shop/gunicorn.sock)" = 700'], 'the private socket');
    return stack;
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}
