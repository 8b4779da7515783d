/**
 * Real broken setups, one per cause a Debian box can show, for the incidents `badgateway practice`
 * offers: scripts/record-incidents.ts builds each, records `badgateway --json --record` on it, and
 * tears it down. The same setups as the integration tests, without vitest, so a script can use them.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTcpBackend, startUnixBackend } from './backend.js';
import { makeCerts } from './certs.js';
import { startClosingBackend, startTlsServer } from './closing-backend.js';
import { startBackendIn, waitForOutput } from './in-netns.js';
import { createNetns, firewall, link, type Netns } from './netns.js';
import { startNginx, type Nginx, type NginxOptions } from './nginx.js';
import { startPhpFpm, type PhpFpm, type PhpFpmOptions } from './php-fpm.js';
import { freePort } from './ports.js';
import { start } from './processes.js';
import { startTlsBackend } from './tls-backend.js';
import { waitInBox } from './box.js';
import { HISTORY_SCENARIOS } from './history-incidents.js';
import { gunicornUnderSupervisor, initScriptBackend, nodeUnderPm2, phpFpmDebian, phpPoolOutOfChildren, runitBackend, s6Backend, type Stack, uwsgiApp } from './stacks.js';

type Cleanup = () => Promise<void> | void;

/** What one setup started; cleanup() undoes it all, newest first (processes by PID). */
export interface Lab {
  later: (...more: Cleanup[]) => void;
  nginx: (options: NginxOptions) => Promise<Nginx>;
  phpFpm: (options: PhpFpmOptions) => Promise<PhpFpm>;
  own: <T extends { stop: () => Promise<void> }>(started: T) => T;
  scratchDir: (prefix?: string) => string;
  netns: (options?: Parameters<typeof createNetns>[0]) => Netns;
  cleanup: () => Promise<void>;
}

export function newLab(): Lab {
  const cleanups: Cleanup[] = [];
  const later = (...more: Cleanup[]) => void cleanups.push(...more);
  return {
    later,
    async nginx(options) {
      const started = await startNginx(options);
      later(
        () => started.remove(),
        () => started.stop(),
      );
      return started;
    },
    async phpFpm(options) {
      const started = await startPhpFpm(options);
      later(
        () => started.remove(),
        () => started.stop(),
      );
      return started;
    },
    own(started) {
      later(() => started.stop());
      return started;
    },
    scratchDir(prefix = 'bgw-incident-') {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      chmodSync(dir, 0o755);
      later(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    netns(options = {}) {
      const ns = createNetns(options);
      later(() => ns.remove());
      return ns;
    },
    async cleanup() {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch {
          /* keep undoing the rest */
        }
      }
    },
  };
}

/** A broken setup ready to diagnose: the failing URL, and how to run badgateway there (a namespace). */
export interface Broken {
  url: string;
  wrap?: (argv: string[]) => string[];
}

export interface Scenario {
  id: string;
  /** The cause badgateway must find; the recording is refused otherwise. */
  cause: string;
  /** What the learner sees: the symptom, never the cause. */
  title: string;
  story: string;
  setup: (lab: Lab) => Promise<Broken>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stack on its own Debian box (lab/stacks.ts), removed with the lab; badgateway runs inside it. */
async function onBox(lab: Lab, stack: Stack, url = stack.url): Promise<Broken> {
  lab.later(() => stack.box.remove());
  return { url, wrap: stack.box.exec };
}
const FULL_QUEUE = fileURLToPath(new URL('./full-queue.py', import.meta.url));

function fastcgi(address: string, docroot: string): string {
  return `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${docroot}/index.php; fastcgi_pass ${address}; }`;
}

async function twoHosts(lab: Lab): Promise<{ proxy: Netns; backend: Netns; backendIp: string }> {
  const proxy = lab.netns();
  const backend = lab.netns();
  const { b } = link(proxy, backend);
  return { proxy, backend, backendIp: b };
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'orders-api',
    cause: 'backend-down',
    title: 'The orders API answers 502 on every request',
    story: 'Ticket: "the orders API is down, every call gets 502 Bad Gateway". nginx on this box proxies it to a small service.',
    async setup(lab) {
      const port = await freePort();
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/orders` };
    },
  },
  {
    id: 'reports-redeploy',
    cause: 'wrong-port',
    title: 'Reports broke right after the backend was redeployed',
    story: 'The reports service was redeployed with a new config this morning; since then every page gives 502.',
    async setup(lab) {
      const [dialled, actual] = [await freePort(), await freePort()];
      lab.own(await startTcpBackend('127.0.0.1', actual));
      const site = await lab.nginx({ http: `upstream reports { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://reports; }' });
      return { url: `http://127.0.0.1:${site.port}/reports/weekly` };
    },
  },
  {
    id: 'status-modernised',
    cause: 'bind-address-mismatch',
    title: 'The status page fails after its config was "modernised"',
    story: 'A colleague updated the status service\'s settings to "current best practice". It runs, says it is listening, and nginx answers 502.',
    async setup(lab) {
      const port = await freePort('::1');
      lab.own(await startTcpBackend('::1', port));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/status` };
    },
  },
  {
    id: 'php-blog-upgrade',
    cause: 'socket-missing',
    title: 'The PHP blog fails after the server was upgraded',
    story: "After last night's upgrade the blog (nginx + php-fpm) shows 502 on every page. php-fpm is running.",
    async setup(lab) {
      const dir = lab.scratchDir();
      const fpm = await lab.phpFpm({ listen: join(dir, 'php8.2-fpm.sock') });
      const site = await lab.nginx({ server: fastcgi(`unix:${join(dir, 'php8.1-fpm.sock')}`, fpm.docroot) });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'hardened-app',
    cause: 'socket-permission',
    title: 'The internal app fails after a security hardening',
    story: 'The security team tightened file permissions on the app server yesterday. The app runs; nginx answers 502.',
    async setup(lab) {
      const socket = join(lab.scratchDir(), 'app.sock');
      lab.own(await startUnixBackend(socket, '600'));
      const site = await lab.nginx({ user: 'nobody nogroup', server: `location / { proxy_pass http://unix:${socket}; }` });
      return { url: `http://127.0.0.1:${site.port}/dashboard` };
    },
  },
  {
    id: 'php-pool-moved',
    cause: 'socket-tcp-mismatch',
    title: 'The PHP shop fails after its pool was reorganised',
    story: 'The php-fpm pools were "cleaned up" in a maintenance window. php-fpm restarted fine, nginx answers 502.',
    async setup(lab) {
      const ns = lab.netns();
      const port = await freePort();
      const fpm = await lab.phpFpm({ listen: `127.0.0.1:${port}`, netns: ns });
      const socket = join(lab.scratchDir(), 'php.sock');
      const site = await lab.nginx({ netns: ns, server: fastcgi(`unix:${socket}`, fpm.docroot) });
      return { url: `http://127.0.0.1:${site.port}/`, wrap: ns.exec };
    },
  },
  {
    id: 'annual-report-page',
    cause: 'backend-crashed',
    title: 'One report page fails; the rest of the site works',
    story: 'Everything works except /crash/report, which gives 502 every time someone opens it.',
    async setup(lab) {
      const port = await freePort();
      const logFile = join(lab.scratchDir(), 'app.log');
      lab.own(await startClosingBackend('127.0.0.1', port, { mode: 'crash', logFile }));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/crash/report` };
    },
  },
  {
    id: 'order-detail',
    cause: 'invalid-response',
    title: 'Order pages fail after a backend release',
    story: 'The backend team shipped an "audit" feature; since then order pages give 502. The backend log shows every request answered.',
    async setup(lab) {
      const port = await freePort();
      lab.own(await startClosingBackend('127.0.0.1', port, { mode: 'badheader' }));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/orders/7` };
    },
  },
  {
    id: 'new-internal-service',
    cause: 'protocol-mismatch',
    title: 'A new internal service answers 502 through nginx',
    story: 'A new service was set up on this box and put behind nginx. Its team says "it works when we test it". Through nginx: 502.',
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTlsServer(lab.scratchDir(), port, 'app.internal'));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'account-page',
    cause: 'header-too-big',
    title: 'The account page fails for everyone since the marketing release',
    story: 'Marketing added tracking to the account pages. Since then /big/account gives 502; other pages work.',
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'bigheader', bytes: 10_000 }));
      const site = await lab.nginx({ server: `location /big/ { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/big/account` };
    },
  },
  {
    id: 'report-export',
    cause: 'read-timeout',
    title: 'The report export fails, always after the same wait',
    story: 'Exporting a report gives 502 every time. Users say it "thinks for a moment" first.',
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3 }));
      const site = await lab.nginx({ server: `location /slow/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
      return { url: `http://127.0.0.1:${site.port}/slow/export` };
    },
  },
  {
    id: 'second-server',
    cause: 'connect-timeout',
    title: 'The app on the second server is out of reach',
    story: 'nginx runs on the proxy; the app runs on another server (10.250.x.2). The app team says the app is up. Users get 502 after a pause.',
    async setup(lab) {
      const { proxy, backend, backendIp } = await twoHosts(lab);
      lab.own(await startBackendIn(backend, backendIp, 8080));
      firewall(backend, 'table inet lab {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 8080 drop\n }\n}\n');
      const site = await lab.nginx({ netns: proxy, server: `location / { proxy_pass http://${backendIp}:8080; proxy_connect_timeout 1s; }` });
      return { url: `http://127.0.0.1:${site.port}/`, wrap: proxy.exec };
    },
  },
  {
    id: 'backend-host-rejects',
    cause: 'no-route',
    title: 'The app server turns nginx away after its maintenance',
    story: 'The app server (10.250.x.2) had security maintenance last night. The app runs there; nginx answers 502 at once.',
    async setup(lab) {
      const { proxy, backend, backendIp } = await twoHosts(lab);
      lab.own(await startBackendIn(backend, backendIp, 8080));
      firewall(backend, 'table inet lab {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp dport 8080 reject with icmp type host-prohibited\n }\n}\n');
      const site = await lab.nginx({ netns: proxy, server: `location / { proxy_pass http://${backendIp}:8080; proxy_connect_timeout 2s; }` });
      return { url: `http://127.0.0.1:${site.port}/`, wrap: proxy.exec };
    },
  },
  {
    id: 'https-backend',
    cause: 'upstream-tls',
    title: 'The backend moved to HTTPS, and nginx answers 502',
    story: 'The backend team turned on HTTPS for backend.test, which serves several names. nginx was switched to https:// and now answers 502.',
    async setup(lab) {
      const certs = makeCerts(['backend.test']);
      lab.later(() => certs.remove());
      const port = await freePort();
      lab.own(await startTlsBackend('127.0.0.1', port, { ...certs.leaf, sni: 'backend.test' }));
      const site = await lab.nginx({ http: `upstream backend.test { server 127.0.0.1:${port}; }`, server: 'location / { proxy_pass https://backend.test; }' });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'api-posts-flaky',
    cause: 'upstream-keepalive',
    title: 'Some POSTs to the API fail now and then',
    story: "Now and then a POST to /api/orders gets 502; trying again works. GETs never fail. Nothing in the backend's log.",
    async setup(lab) {
      const port = await freePort();
      lab.own(await startClosingBackend('127.0.0.1', port, { mode: 'keepalive-race', idleSeconds: 1 }));
      const site = await lab.nginx({
        http: `upstream app { server 127.0.0.1:${port}; keepalive 4; }`,
        server: 'location /api/ { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }',
      });
      const url = `http://127.0.0.1:${site.port}/api/orders`;
      // Two POSTs 0.7 s apart: the second goes out on the idle connection the backend is closing.
      const post = () => fetch(url, { method: 'POST', body: 'item=1', signal: AbortSignal.timeout(10_000) }).then((r) => r.status);
      await post();
      await sleep(700);
      if ((await post()) !== 502) throw new Error('the keep-alive race did not happen');
      return { url };
    },
  },
  {
    id: 'backend-moved',
    cause: 'stale-dns',
    title: 'The backend was moved to a new address this morning',
    story: 'The app was moved to a new address this morning and its DNS name updated. The app answers at its name; nginx answers 502.',
    async setup(lab) {
      const ns = lab.netns({ hosts: '127.0.0.1 localhost\n127.0.0.2 app.test\n' });
      const port = await freePort();
      const site = await lab.nginx({ netns: ns, server: `location / { proxy_pass http://app.test:${port}; }` });
      writeFileSync(`/etc/netns/${ns.name}/hosts`, '127.0.0.1 localhost\n127.0.0.3 app.test\n');
      lab.own(await startBackendIn(ns, '127.0.0.3', port));
      return { url: `http://127.0.0.1:${site.port}/`, wrap: ns.exec };
    },
  },
  {
    id: 'app-pool',
    cause: 'no-live-upstreams',
    title: 'The whole app pool is out',
    story: 'nginx balances the app over two servers. Since a few minutes every request gets 502, at once.',
    async setup(lab) {
      const [one, two] = [await freePort(), await freePort()];
      const site = await lab.nginx({
        http: `upstream pool { server 127.0.0.1:${one} fail_timeout=60s; server 127.0.0.1:${two} max_fails=1 fail_timeout=60s; }`,
        server: 'location / { proxy_pass http://pool; }',
      });
      const url = `http://127.0.0.1:${site.port}/`;
      const first = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (first.status !== 502) throw new Error(`the pool did not fail (${first.status})`);
      return { url };
    },
  },
  {
    id: 'busy-proxy',
    cause: 'worker-limits',
    title: 'The proxy stops answering when a slow request is running',
    story: 'While a long export runs, other visitors get errors or no answer at all. The backend is idle otherwise.',
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 60 }));
      const site = await lab.nginx({ events: 'worker_connections 4;', server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      lab.own(start('curl', ['-sS', '-o', '/dev/null', '--max-time', '65', `http://127.0.0.1:${site.port}/export`]));
      await sleep(400);
      return { url: `http://127.0.0.1:${site.port}/busy` };
    },
  },
  {
    id: 'api-gateway',
    cause: 'upstream-returned-502',
    title: "The API answers 502, and nginx's error log is empty",
    story: "Calls to /api/orders give 502. Someone checked nginx's error log: nothing there.",
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'status502' }));
      const site = await lab.nginx({ server: `location /api/ { proxy_pass http://127.0.0.1:${port}/v1/; proxy_set_header Host $host; }` });
      return { url: `http://127.0.0.1:${site.port}/api/orders` };
    },
  },
  {
    id: 'checkout-frozen',
    cause: 'backend-hung',
    title: 'Checkout freezes, then 502',
    story: 'The checkout page spins for a second and then shows 502. The app is in ps, and a colleague was looking into a memory problem on the box earlier this evening.',
    async setup(lab) {
      const port = await freePort();
      const app = lab.own(await startTcpBackend('127.0.0.1', port));
      const site = await lab.nginx({ server: `location /checkout/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
      process.kill(app.pid, 'SIGSTOP');
      lab.later(() => {
        try {
          process.kill(app.pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      });
      return { url: `http://127.0.0.1:${site.port}/checkout/cart` };
    },
  },
  {
    id: 'queue-overflow',
    cause: 'backend-saturated',
    title: 'Instant 502s during the newsletter rush',
    story: 'The newsletter went out ten minutes ago. Some visitors get 502 at once, others get the page after a wait. The app answers when the team tries it.',
    async setup(lab) {
      const dir = lab.scratchDir();
      const socket = join(dir, 'app.sock');
      const filler = lab.own(start('python3', [FULL_QUEUE, 'unix', socket]));
      await waitForOutput(filler, 'ready', 'the full-queue socket');
      const site = await lab.nginx({ server: `location / { proxy_pass http://unix:${socket}; }` });
      return { url: `http://127.0.0.1:${site.port}/` };
    },
  },
  {
    id: 'shop-deploy-half-done',
    cause: 'socket-missing',
    title: 'Every page of the shop answers 502 after a deploy',
    story: 'The deploy script stops the shop, swaps the code and starts it again. Tonight it failed half-way, the on-call engineer says. nginx answers 502 for every page of shop.example.',
    async setup(lab) {
      const stack = await gunicornUnderSupervisor();
      stack.box.run(['supervisorctl', 'stop', 'shop']);
      return onBox(lab, stack);
    },
  },
  {
    id: 'shop-export-crash',
    cause: 'backend-crashed',
    title: 'One page of the shop fails, the rest works',
    story: 'Since the new image library went live, /crash (the product export) answers 502; every other page of shop.example works. The app runs under uWSGI.',
    async setup(lab) {
      const stack = await uwsgiApp();
      return onBox(lab, stack, 'http://shop.example/crash');
    },
  },
  {
    id: 'blog-busy-evening',
    cause: 'backend-saturated',
    title: 'The blog times out in the evening rush',
    story: 'Every evening the blog gets slow and some visitors get 504. Two editors are exporting long reports right now. The PHP pool was sized for a smaller box years ago.',
    async setup(lab) {
      const stack = await phpPoolOutOfChildren();
      return onBox(lab, stack);
    },
  },
  {
    id: 'blog-after-plugin',
    cause: 'header-too-big',
    title: 'The blog answers 502 after a plugin update',
    story: 'A marketing plugin was updated on the blog this morning; since then every page of blog.example answers 502. PHP runs under php-fpm behind nginx.',
    async setup(lab) {
      // The plugin sets 40 tracking cookies of 200 bytes each on every page: about 8.7 KB of response head.
      const stack = await phpFpmDebian({ scripts: { 'index.php': '<?php for ($i = 0; $i < 40; $i++) setcookie("track$i", str_repeat("x", 200)); echo "blog ok\\n";' } });
      return onBox(lab, stack);
    },
  },
  {
    id: 'api-after-maintenance',
    cause: 'backend-down',
    title: 'The API is down after the maintenance window',
    story: 'The API box had its maintenance last night and the API has answered 502 since. It is an old-style service: an init script, no systemd.',
    async setup(lab) {
      const stack = await initScriptBackend();
      stack.box.run(['service', 'shop-api', 'stop']);
      return onBox(lab, stack);
    },
  },
  {
    id: 'api-runit-log-rotation',
    cause: 'backend-down',
    title: 'The API answers 502 since the log clean-up',
    story: 'A colleague freed disk space on the API box this morning and "stopped a few things while at it". The API is a small Python service; the box runs its services with runit, not systemd.',
    async setup(lab) {
      const stack = await runitBackend();
      stack.box.run(['sv', 'stop', 'shop-api']);
      return onBox(lab, stack);
    },
  },
  {
    id: 'api-s6-paused',
    cause: 'backend-down',
    title: 'The API answers 502 after someone "paused" it',
    story:
      'The API box supervises its services with s6 (s6-svscan over /run/service). During a noisy-neighbour hunt someone brought the API down to see whether the load dropped, and forgot it. api.example has answered 502 since.',
    async setup(lab) {
      const stack = await s6Backend();
      stack.box.run(['s6-svc', '-d', '/run/service/shop-api']);
      await waitInBox(stack.box, ['sh', '-c', 's6-svstat /run/service/shop-api | grep -q ^down'], 'the service down');
      return onBox(lab, stack);
    },
  },
  {
    id: 'node-api-stopped',
    cause: 'backend-down',
    title: 'The Node API answers 502 since this afternoon',
    story: 'The Node API runs under pm2. Someone was "cleaning up processes" this afternoon; since then api.example answers 502.',
    async setup(lab) {
      const stack = await nodeUnderPm2();
      stack.box.run(['pm2', 'stop', 'api']);
      return onBox(lab, stack);
    },
  },
  {
    id: 'maintenance-leftover',
    cause: 'unknown',
    title: 'The shop still answers 502 after the maintenance window',
    story: 'Last night the shop section was taken down for a migration. The migration is done and the app answers when asked directly, but /shop/ still gives 502.',
    async setup(lab) {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port));
      const site = await lab.nginx({ server: `location /shop/ { return 502; proxy_pass http://127.0.0.1:${port}; } location / { proxy_pass http://127.0.0.1:${port}; }` });
      return { url: `http://127.0.0.1:${site.port}/shop/cart` };
    },
  },
  {
    id: 'backend-by-variable',
    cause: 'no-resolver',
    title: 'A config "tidy-up" put the backend\'s name in a variable',
    story: 'Someone tidied the config: the backend name now lives in a variable (set $app app.internal). Since the reload: 502. The name resolves fine on the box.',
    async setup(lab) {
      const ns = lab.netns({ hosts: '127.0.0.1 localhost\n127.0.0.1 app.internal\n' });
      writeFileSync(`/etc/netns/${ns.name}/resolv.conf`, 'nameserver 127.0.0.1\n');
      lab.own(await startBackendIn(ns, '127.0.0.1', 8080));
      const site = await lab.nginx({ netns: ns, server: 'location / { set $app app.internal; proxy_pass http://$app:8080; }' });
      return { url: `http://127.0.0.1:${site.port}/`, wrap: ns.exec };
    },
  },
  ...HISTORY_SCENARIOS,
];

export function scenario(id: string): Scenario {
  const found = SCENARIOS.find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
}
