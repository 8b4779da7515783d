import type { Cause } from '../causes.js';
import type { Box } from './box.js';
import {
  addToProxyPass,
  gunicornAllWorkersBusy,
  gunicornPrivateSocket,
  gunicornSlow,
  holdBusy,
  initScriptOtherPort,
  pm2AppThatThrows,
  pm2OtherPort,
  stopProcesses,
  uwsgiPrivateSocket,
  uwsgiQueueFull,
  uwsgiSlow,
} from './stacks-more.js';
import { gunicornUnderSupervisor, initScriptBackend, nodeUnderPm2, phpFpmDebian, phpPoolOutOfChildren, runitBackend, s6Backend, type Stack, uwsgiApp } from './stacks.js';

/**
 * The scenarios of `badgateway practice --live`: each is one stack of the integration lab (src/live/stacks.ts)
 * broken the way a lab test breaks it, told as the ticket a user would file. The menu shows the symptom and the
 * difficulty, never the cause: finding the cause is the exercise.
 */
export type StackKind = 'init-script' | 'runit' | 's6' | 'pm2' | 'gunicorn-supervisor' | 'uwsgi' | 'php-fpm';

export interface Scenario {
  id: string;
  /** The menu line: what a user sees, in a few words. */
  symptom: string;
  /** The ticket, in the user's words. */
  ticket: string;
  stack: StackKind;
  /** For the lab and the merger only; never shown before the score. */
  cause: Cause;
  /** 1 (one command) to 5 (several clues, and a number to choose). */
  difficulty: 1 | 2 | 3 | 4 | 5;
  /** The request that fails, as the box sees it. */
  url: string;
  /** The status nginx answers it with once broken. */
  failsWith: 502 | 504;
  /** Starts the stack and breaks it. */
  build: () => Promise<Stack>;
  /** What goes on again after the box restarts (the users' load), where the breakage needs it. */
  afterBoot?: (box: Box) => void;
}

/** Builds a stack, then breaks it with `breakIt`; the box is removed if breaking fails. */
async function broken(started: Promise<Stack>, breakIt: (box: Box) => void | Promise<void>): Promise<Stack> {
  const stack = await started;
  try {
    await breakIt(stack.box);
    return stack;
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}

const asIs = () => {};

/** Two users' long reports, again and again (bounded: 120 rounds of at most 45 s), keeping php-fpm's children busy. */
function longReports(box: Box): void {
  const loop = 'for i in $(seq 1 120); do curl -s -o /dev/null -m 45 http://blog.example/report.php; done';
  box.run(['sh', '-c', 'for n in 1 2; do setsid sh -c "$0" </dev/null >/dev/null 2>&1 & done', loop]);
}

/** php-fpm stopped the hard way: its socket file left behind, with nobody listening on it. */
function staleFpmSocket(box: Box): void {
  box.run(['service', 'php8.2-fpm', 'stop']);
  const socket = '/run/php/php8.2-fpm.sock';
  box.run(['python3', '-c', 'import socket, os, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); os._exit(0)', socket]);
  box.run(['chown', 'www-data:www-data', '--', socket]);
  box.run(['chmod', '660', '--', socket]);
}

/** The blog's PHP location copied from a proxy template: proxy_pass (HTTP) at php-fpm's socket, which speaks FastCGI. */
function proxyTemplateForPhp(box: Box): void {
  const site = '/etc/nginx/sites-available/blog';
  box.write(site, box.read(site).replace('include snippets/fastcgi-php.conf;\n        fastcgi_pass unix:', 'include proxy_params;\n        proxy_pass http://unix:'));
  box.run(['nginx', '-s', 'reload']);
}

/** The www pool moved to TCP 127.0.0.1:9000 (as another distribution's default has it), nginx still dials the socket. */
function fpmPoolOnTcp(box: Box): void {
  box.run(['sed', '-i', 's|^listen = .*|listen = 127.0.0.1:9000|', '/etc/php/8.2/fpm/pool.d/www.conf']);
  box.run(['service', 'php8.2-fpm', 'restart']);
}

/** Stops the Node app under pm2 (SIGSTOP): pm2 still lists it online, its port still accepts. */
function freezeNodeApp(box: Box): void {
  box.run(['kill', '-STOP', '--', box.run(['pm2', 'pid', 'api']).trim()]);
}

/** A front controller that sets 40 cookies of 200 bytes: a response head of about 8.7 KB. */
const COOKIE_HEAVY_INDEX = '<?php for ($i = 0; $i < 40; $i++) setcookie("c$i", str_repeat("x", 200)); echo "blog ok\\n";';

/** Stops gunicorn's master and workers (SIGSTOP): they keep their socket but answer nothing. */
function freezeGunicorn(box: Box): void {
  const master = box.run(['supervisorctl', 'pid', 'shop']).trim();
  const workers = box.run(['ps', '-o', 'pid=', '--ppid', master]).trim().split(/\s+/);
  box.run(['kill', '-STOP', '--', master, ...workers]);
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'api-after-reboot',
    symptom: 'api.example answers 502 since the night',
    ticket: 'Since this morning api.example only says "502 Bad Gateway". Nobody deployed anything, but the box was rebooted for updates during the night.',
    stack: 'init-script',
    cause: 'backend-down',
    difficulty: 1,
    url: 'http://api.example/',
    failsWith: 502,
    build: () => broken(initScriptBackend(), (box) => void box.run(['service', 'shop-api', 'stop'])),
  },
  {
    id: 'node-api-cleanup',
    symptom: 'the Node API answers 502 after a clean-up',
    ticket: 'Our Node API (api.example) answers "502 Bad Gateway" to everything. Yesterday someone was "cleaning up old processes" on that server.',
    stack: 'pm2',
    cause: 'backend-down',
    difficulty: 1,
    url: 'http://api.example/',
    failsWith: 502,
    build: () => broken(nodeUnderPm2(), (box) => void box.run(['pm2', 'stop', 'api'])),
  },
  {
    id: 'api-log-cleanup',
    symptom: 'api.example answers 502 after a log clean-up',
    ticket: 'api.example answers "502 Bad Gateway" since someone cleaned up the logs of that box by hand. The box runs its services with runit.',
    stack: 'runit',
    cause: 'backend-down',
    difficulty: 2,
    url: 'http://api.example/',
    failsWith: 502,
    build: () => broken(runitBackend(), (box) => void box.run(['sv', 'stop', 'shop-api'])),
  },
  {
    id: 'api-s6-paused',
    symptom: 'api.example answers 502 since a service was paused',
    ticket: 'api.example answers "502 Bad Gateway". A colleague "paused a service for a minute" yesterday; the box runs its services with s6.',
    stack: 's6',
    cause: 'backend-down',
    difficulty: 2,
    url: 'http://api.example/',
    failsWith: 502,
    build: () => broken(s6Backend(), (box) => void box.run(['s6-svc', '-wd', '-d', '/run/service/shop-api'])),
  },
  {
    id: 'api-settings-change',
    symptom: 'api.example answers 502 since a settings change',
    ticket: 'api.example answers "502 Bad Gateway" since someone "aligned the port settings" of the API in /etc/default. The API itself says it started fine.',
    stack: 'init-script',
    cause: 'wrong-port',
    difficulty: 2,
    url: 'http://api.example/',
    failsWith: 502,
    build: () => broken(initScriptOtherPort(8002), asIs),
  },
  {
    id: 'node-api-new-port',
    symptom: 'the Node API answers 502 since its config was tidied',
    ticket: 'The Node API (api.example) answers "502 Bad Gateway" since a developer tidied its pm2 ecosystem file. `pm2 list` shows it online.',
    stack: 'pm2',
    cause: 'wrong-port',
    difficulty: 2,
    url: 'http://api.example/',
    failsWith: 502,
    build: () => broken(pm2OtherPort(3001), asIs),
  },
  {
    id: 'shop-maintenance',
    symptom: 'the shop answers 502 since the maintenance window',
    ticket: 'shop.example shows "502 Bad Gateway" on every page since last night\'s maintenance window. Customers are calling.',
    stack: 'gunicorn-supervisor',
    cause: 'socket-missing',
    difficulty: 1,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(gunicornUnderSupervisor(), (box) => void box.run(['supervisorctl', 'stop', 'shop'])),
  },
  {
    id: 'shop-server-update',
    symptom: 'the shop answers 502 after the server update',
    ticket: 'After the server update the shop (shop.example) answers "502 Bad Gateway" on every page. The update itself went through without errors.',
    stack: 'uwsgi',
    cause: 'socket-missing',
    difficulty: 1,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(uwsgiApp(), (box) => void box.run(['service', 'uwsgi', 'stop'])),
  },
  {
    id: 'blog-php-update',
    symptom: 'the blog answers 502 since the PHP update',
    ticket: 'The blog at blog.example shows "502 Bad Gateway" on every page since the PHP packages were updated.',
    stack: 'php-fpm',
    cause: 'socket-missing',
    difficulty: 1,
    url: 'http://blog.example/',
    failsWith: 502,
    build: () => broken(phpFpmDebian(), (box) => void box.run(['service', 'php8.2-fpm', 'stop'])),
  },
  {
    id: 'shop-after-deploy',
    symptom: 'the shop answers 502 since the deploy',
    ticket: 'The shop answers "502 Bad Gateway" since the deploy. The developers say the app starts fine; they only "tidied up the gunicorn settings".',
    stack: 'gunicorn-supervisor',
    cause: 'socket-tcp-mismatch',
    difficulty: 2,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(gunicornUnderSupervisor({ gunicornBind: '127.0.0.1:8000' }), asIs),
  },
  {
    id: 'shop-nginx-tidy',
    symptom: 'the shop answers 502 since the web server was tidied',
    ticket: 'The shop answers "502 Bad Gateway" since a colleague "simplified" the nginx site for shop.example yesterday. The app was not touched.',
    stack: 'gunicorn-supervisor',
    cause: 'socket-tcp-mismatch',
    difficulty: 2,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(gunicornUnderSupervisor({ nginxDials: 'http://127.0.0.1:8000' }), asIs),
  },
  {
    id: 'blog-hardening',
    symptom: 'the blog answers 502 since the security hardening',
    ticket: 'The blog (blog.example) answers "502 Bad Gateway" since the security team hardened the PHP settings. They say PHP itself runs.',
    stack: 'php-fpm',
    cause: 'socket-permission',
    difficulty: 2,
    url: 'http://blog.example/',
    failsWith: 502,
    build: () => broken(phpFpmDebian({ pool: { 'listen.owner': 'root', 'listen.group': 'root' } }), asIs),
  },
  {
    id: 'blog-after-outage',
    symptom: 'the blog answers 502 since the night the server hung',
    ticket: 'The blog (blog.example) answers "502 Bad Gateway" since the server ran out of memory last night. The hosting company says they "cleaned up" and everything is running again.',
    stack: 'php-fpm',
    cause: 'backend-down',
    difficulty: 2,
    url: 'http://blog.example/',
    failsWith: 502,
    build: () => broken(phpFpmDebian(), staleFpmSocket),
  },
  {
    id: 'blog-proxy-template',
    symptom: 'the blog answers 502 since its site file was tidied',
    ticket: 'Someone tidied the nginx site of blog.example using the template of our proxied apps; since then every page says "502 Bad Gateway". PHP was not touched.',
    stack: 'php-fpm',
    cause: 'protocol-mismatch',
    difficulty: 3,
    url: 'http://blog.example/',
    failsWith: 502,
    build: () => broken(phpFpmDebian(), proxyTemplateForPhp),
  },
  {
    id: 'shop-new-template',
    symptom: 'the shop answers 502 on the new site template',
    ticket: 'We moved shop.example to the new nginx site template (the one we use for our other apps) and now every page says "502 Bad Gateway".',
    stack: 'uwsgi',
    cause: 'protocol-mismatch',
    difficulty: 3,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(uwsgiApp({ nginxPass: 'include proxy_params;\n        proxy_pass http://unix:/run/uwsgi/app/shop/socket;' }), asIs),
  },
  {
    id: 'blog-slow-home',
    symptom: 'the blog home page waits, then 504',
    ticket: 'The home page of blog.example thinks for a few seconds and then shows "504 Gateway Time-out". It was always slow, but it used to load.',
    stack: 'php-fpm',
    cause: 'read-timeout',
    difficulty: 3,
    url: 'http://blog.example/',
    failsWith: 504,
    build: () => broken(phpFpmDebian({ scripts: { 'index.php': '<?php sleep(6); echo "blog ok\\n";' }, nginxExtra: 'fastcgi_read_timeout 3s;' }), asIs),
  },
  {
    id: 'shop-spins',
    symptom: 'the shop spins, then 504, though "the app runs"',
    ticket: 'Every page of shop.example spins and then shows "504 Gateway Time-out". The developers checked: "supervisorctl says the app is RUNNING".',
    stack: 'gunicorn-supervisor',
    cause: 'backend-hung',
    difficulty: 3,
    url: 'http://shop.example/',
    failsWith: 504,
    build: () => broken(gunicornUnderSupervisor({ proxyExtra: 'proxy_read_timeout 2s;' }), freezeGunicorn),
  },
  {
    id: 'node-api-frozen',
    symptom: 'the Node API spins, then 504, though pm2 says online',
    ticket: 'Every request to api.example spins and then shows "504 Gateway Time-out". `pm2 list` says the app is online, with no restarts.',
    stack: 'pm2',
    cause: 'backend-hung',
    difficulty: 3,
    url: 'http://api.example/',
    failsWith: 504,
    build: () => broken(nodeUnderPm2({ proxyExtra: 'proxy_read_timeout 2s;' }), freezeNodeApp),
  },
  {
    id: 'blog-cookie-plugin',
    symptom: 'the blog home page answers 502 after a plugin update',
    ticket: 'Since the marketing plugin was updated, the blog home page (blog.example) answers "502 Bad Gateway". The admin pages still work, and PHP itself runs.',
    stack: 'php-fpm',
    cause: 'header-too-big',
    difficulty: 4,
    url: 'http://blog.example/',
    failsWith: 502,
    build: () => broken(phpFpmDebian({ scripts: { 'index.php': COOKIE_HEAVY_INDEX } }), asIs),
  },
  {
    id: 'api-frozen',
    symptom: 'the API spins, then 504, though its service runs',
    ticket: 'Every request to api.example spins and then shows "504 Gateway Time-out". `service shop-api status` says it is running.',
    stack: 'init-script',
    cause: 'backend-hung',
    difficulty: 3,
    url: 'http://api.example/',
    failsWith: 504,
    build: () =>
      broken(initScriptBackend(), (box) => {
        addToProxyPass(box, 'api', 'proxy_read_timeout 2s;');
        stopProcesses(box, '^/usr/bin/python3 /srv/shop-api/server.py');
      }),
  },
  {
    id: 'shop-uwsgi-frozen',
    symptom: 'the uwsgi shop spins, then 504',
    ticket: 'Every page of the uwsgi-run shop (shop.example) spins and then shows "504 Gateway Time-out". The uwsgi processes are all there.',
    stack: 'uwsgi',
    cause: 'backend-hung',
    difficulty: 3,
    url: 'http://shop.example/',
    failsWith: 504,
    build: () => broken(uwsgiSlow('', 'uwsgi_read_timeout 2s;'), (box) => void stopProcesses(box, '^/usr/bin/uwsgi')),
  },
  {
    id: 'shop-slow-search',
    symptom: 'the shop search waits, then 504',
    ticket: 'The search page of the shop (http://shop.example/slow?s=5) waits and then shows "504 Gateway Time-out". It takes about five seconds on the developers\' laptops.',
    stack: 'gunicorn-supervisor',
    cause: 'read-timeout',
    difficulty: 3,
    url: 'http://shop.example/slow?s=5',
    failsWith: 504,
    build: () => broken(gunicornSlow({ workers: 2, proxyExtra: 'proxy_read_timeout 2s;' }), asIs),
  },
  {
    id: 'shop-uwsgi-slow-search',
    symptom: 'the uwsgi shop search waits, then 504',
    ticket: 'On the uwsgi-run shop, the search (http://shop.example/slow?s=5) waits and then shows "504 Gateway Time-out". Everything else is quick.',
    stack: 'uwsgi',
    cause: 'read-timeout',
    difficulty: 3,
    url: 'http://shop.example/slow?s=5',
    failsWith: 504,
    build: () => broken(uwsgiSlow('', 'uwsgi_read_timeout 2s;'), asIs),
  },
  {
    id: 'shop-run-as-root',
    symptom: 'the shop answers 502 since the app runs as root',
    ticket: 'The shop (shop.example) answers "502 Bad Gateway" since someone made gunicorn run as root "to fix a permissions problem" and tightened its umask.',
    stack: 'gunicorn-supervisor',
    cause: 'socket-permission',
    difficulty: 4,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(gunicornPrivateSocket(), asIs),
  },
  {
    id: 'shop-uwsgi-socket-owner',
    symptom: 'the uwsgi shop answers 502 since its socket settings changed',
    ticket: 'The uwsgi-run shop answers "502 Bad Gateway" since the security review changed the socket settings in its uwsgi app file.',
    stack: 'uwsgi',
    cause: 'socket-permission',
    difficulty: 3,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(uwsgiPrivateSocket(), asIs),
  },
  {
    id: 'shop-long-export',
    symptom: 'the shop export answers 502 after a few seconds',
    ticket: 'The export page of the shop (http://shop.example/slow?s=5) answers "502 Bad Gateway" after a few seconds. Short pages work.',
    stack: 'gunicorn-supervisor',
    cause: 'backend-crashed',
    difficulty: 4,
    url: 'http://shop.example/slow?s=5',
    failsWith: 502,
    build: () => broken(gunicornSlow({ workers: 2, gunicornExtra: '--timeout 3' }), asIs),
  },
  {
    id: 'node-api-orders',
    symptom: 'one API endpoint answers 502',
    ticket: 'http://api.example/throw answers "502 Bad Gateway" every time; the rest of the Node API works. pm2 shows the app online, with restarts.',
    stack: 'pm2',
    cause: 'backend-crashed',
    difficulty: 4,
    url: 'http://api.example/throw',
    failsWith: 502,
    build: () => broken(pm2AppThatThrows(), asIs),
  },
  {
    id: 'shop-busy-evening',
    symptom: 'the shop sometimes waits, then 504, when the exports run',
    ticket: 'When the evening exports run (http://shop.example/slow?s=40), every other page of the shop waits and then shows "504 Gateway Time-out".',
    stack: 'gunicorn-supervisor',
    cause: 'backend-saturated',
    difficulty: 5,
    url: 'http://shop.example/',
    failsWith: 504,
    build: () => broken(gunicornAllWorkersBusy(), asIs),
    afterBoot: (box) => holdBusy(box, 'http://shop.example/slow?s=40', 2, 45),
  },
  {
    id: 'blog-pool-tuning',
    symptom: 'the blog answers 502 since the PHP pool was tuned',
    ticket: 'The blog (blog.example) answers "502 Bad Gateway" since a consultant tuned the PHP-FPM pool "as on our other servers". php-fpm runs.',
    stack: 'php-fpm',
    cause: 'socket-tcp-mismatch',
    difficulty: 3,
    url: 'http://blog.example/',
    failsWith: 502,
    build: () => broken(phpFpmDebian(), fpmPoolOnTcp),
  },
  {
    id: 'blog-frozen',
    symptom: 'the blog spins, then 504, though PHP runs',
    ticket: 'Every page of blog.example spins and then shows "504 Gateway Time-out". `service php8.2-fpm status` says php-fpm is running.',
    stack: 'php-fpm',
    cause: 'backend-hung',
    difficulty: 3,
    url: 'http://blog.example/',
    failsWith: 504,
    build: () => broken(phpFpmDebian({ nginxExtra: 'fastcgi_read_timeout 2s;' }), (box) => void stopProcesses(box, '^php-fpm: ')),
  },
  {
    id: 'shop-uwsgi-export-rush',
    symptom: 'the uwsgi shop answers 502 at once while the exports run',
    ticket: 'While the exports run (http://shop.example/slow?s=40), every other page of the uwsgi-run shop answers "502 Bad Gateway" at once, without waiting.',
    stack: 'uwsgi',
    cause: 'backend-saturated',
    difficulty: 5,
    url: 'http://shop.example/',
    failsWith: 502,
    build: () => broken(uwsgiQueueFull(), asIs),
    afterBoot: (box) => holdBusy(box, 'http://shop.example/slow?s=40', 6, 45),
  },
  {
    id: 'shop-one-page',
    symptom: 'one page of the shop answers 502',
    ticket: 'One page of the shop, http://shop.example/crash, answers "502 Bad Gateway". Every other page works. The developers say "works on my machine".',
    stack: 'gunicorn-supervisor',
    cause: 'backend-crashed',
    difficulty: 4,
    url: 'http://shop.example/crash',
    failsWith: 502,
    build: () => broken(gunicornUnderSupervisor(), asIs),
  },
  {
    id: 'shop-uwsgi-one-page',
    symptom: 'one page of the uwsgi shop answers 502',
    ticket: 'On the uwsgi-run shop, http://shop.example/crash answers "502 Bad Gateway"; the other pages are fine.',
    stack: 'uwsgi',
    cause: 'backend-crashed',
    difficulty: 4,
    url: 'http://shop.example/crash',
    failsWith: 502,
    build: () => broken(uwsgiApp(), asIs),
  },
  {
    id: 'blog-export-page',
    symptom: 'one page of the blog answers 502',
    ticket: 'The export page of the blog, http://blog.example/export.php, answers "502 Bad Gateway". Every other page of the blog works.',
    stack: 'php-fpm',
    cause: 'backend-crashed',
    difficulty: 4,
    url: 'http://blog.example/export.php',
    failsWith: 502,
    build: () => broken(phpFpmDebian({ scripts: { 'export.php': '<?php posix_kill(getmypid(), 9); echo "export ok\\n";' } }), asIs),
  },
  {
    id: 'blog-reports',
    symptom: 'the blog sometimes waits, then 504, since the reports',
    ticket: 'Since marketing started running their long reports (blog.example/report.php) the blog home page often waits and then shows "504 Gateway Time-out". The box has plenty of memory.',
    stack: 'php-fpm',
    cause: 'backend-saturated',
    difficulty: 5,
    url: 'http://blog.example/',
    failsWith: 504,
    build: () => broken(phpPoolOutOfChildren(), longReports),
    afterBoot: longReports,
  },
];

/** The menu: easiest first, then by symptom. */
export function menu(scenarios: readonly Scenario[] = SCENARIOS): Scenario[] {
  return [...scenarios].sort((a, b) => a.difficulty - b.difficulty || a.symptom.localeCompare(b.symptom));
}

/** A scenario by its id or by its number in the menu (1-based). */
export function findScenario(nameOrNumber: string, scenarios: readonly Scenario[] = SCENARIOS): Scenario | null {
  const ordered = menu(scenarios);
  if (/^\d+$/.test(nameOrNumber)) return ordered[Number(nameOrNumber) - 1] ?? null;
  return ordered.find((s) => s.id === nameOrNumber) ?? null;
}
