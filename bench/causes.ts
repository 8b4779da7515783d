import { join } from 'node:path';
import { startTcpBackend, startUnixBackend } from '../test/integration/lab/backend.js';
import { startClosingBackend, startTlsServer } from '../test/integration/lab/closing-backend.js';
import { freePort } from '../test/integration/lab/ports.js';
import type { BenchLab } from './lab.js';

/** One cause, broken for real on this box the way the integration suite breaks it; setup returns the failing URL. */
export interface CauseScenario {
  cause: string;
  setup: (lab: BenchLab) => Promise<string>;
}

const PHP_LOCATION = (docroot: string, pass: string) =>
  `root ${docroot};\n        location ~ \\.php$ { fastcgi_pass ${pass}; include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; }`;

export const SCENARIOS: CauseScenario[] = [
  {
    cause: 'backend-down',
    setup: async (lab) => {
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'wrong-port',
    setup: async (lab) => {
      const actual = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', actual));
      const site = await lab.nginx({ http: `upstream app { server 127.0.0.1:${await freePort()}; }`, server: 'location / { proxy_pass http://app; }' });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'socket-missing',
    setup: async (lab) => {
      const site = await lab.nginx({ server: `location / { proxy_pass http://unix:${join(lab.scratchDir(), 'app.sock')}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'socket-permission',
    setup: async (lab) => {
      const socket = join(lab.scratchDir(), 'app.sock');
      lab.own(await startUnixBackend(socket, '600'));
      const site = await lab.nginx({ user: 'nobody nogroup', server: `location / { proxy_pass http://unix:${socket}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'read-timeout',
    setup: async (lab) => {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3 }));
      const site = await lab.nginx({ server: `location /slow/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
      return `http://127.0.0.1:${site.port}/slow/report`;
    },
  },
  {
    cause: 'bind-address-mismatch',
    setup: async (lab) => {
      const port = await freePort('::1');
      lab.own(await startTcpBackend('::1', port));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'header-too-big',
    setup: async (lab) => {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'bigheader', bytes: 10_000 }));
      const site = await lab.nginx({ server: `location /big/ { proxy_pass http://127.0.0.1:${port}; }` });
      return `http://127.0.0.1:${site.port}/big/page`;
    },
  },
  {
    cause: 'upstream-returned-502',
    setup: async (lab) => {
      const port = await freePort();
      lab.own(await startTcpBackend('127.0.0.1', port, { mode: 'status502' }));
      const site = await lab.nginx({ server: `location /api/ { proxy_pass http://127.0.0.1:${port}/v1/; proxy_set_header Host $host; }` });
      return `http://127.0.0.1:${site.port}/api/orders`;
    },
  },
  {
    cause: 'backend-crashed',
    setup: async (lab) => {
      const port = await freePort();
      lab.own(await startClosingBackend('127.0.0.1', port, { mode: 'crash', logFile: join(lab.scratchDir(), 'app.log') }));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return `http://127.0.0.1:${site.port}/crash/report`;
    },
  },
  {
    cause: 'protocol-mismatch',
    setup: async (lab) => {
      const port = await freePort();
      lab.own(await startTlsServer(lab.scratchDir(), port, 'app.internal'));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return `http://127.0.0.1:${site.port}/`;
    },
  },
  {
    cause: 'invalid-response',
    setup: async (lab) => {
      const port = await freePort();
      lab.own(await startClosingBackend('127.0.0.1', port, { mode: 'badheader' }));
      const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; }` });
      return `http://127.0.0.1:${site.port}/orders/7`;
    },
  },
  {
    cause: 'socket-permission (php-fpm pool)',
    setup: async (lab) => {
      const socket = join(lab.scratchDir(), 'php.sock');
      const fpm = await lab.phpFpm({ listen: socket, pool: 'listen.owner = root\nlisten.group = root\nlisten.mode = 0600' });
      const site = await lab.nginx({ user: 'nobody nogroup', server: PHP_LOCATION(fpm.docroot, `unix:${socket}`) });
      return `http://127.0.0.1:${site.port}/index.php`;
    },
  },
];

/** The cause id a scenario should end on (a label may add a variant in parentheses). */
export const causeId = (s: CauseScenario) => s.cause.split(' ')[0] as string;
