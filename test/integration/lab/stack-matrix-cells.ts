import { expect } from 'vitest';
import type { Box } from '../../../src/live/box.js';
import { gunicornCausesApp, uwsgiCausesApp } from '../../../src/live/stacks-causes-python.js';
import { phpFpmListening } from '../../../src/live/stacks-causes.js';
import { apiUnder, editSite } from '../../../src/live/stacks-matrix.js';
import { stopProcesses } from '../../../src/live/stacks-more.js';
import { gunicornUnderSupervisor, nodeUnderPm2, phpFpmDebian, type Stack } from '../../../src/live/stacks.js';

/**
 * The stack × cause cells of issue 14 that the other stack tests do not hold, as data: how each stack is
 * started and broken for real, nginx's own line for it, and the cause and fix badgateway must find. Shared by
 * the local test (stack-matrix.test.ts) and the one over SSH (stack-matrix-ssh.test.ts).
 */
export interface Cell {
  stack: string;
  cause: string;
  /** What was done to the stack, for the test's name. */
  how: string;
  start: () => Promise<Stack>;
  /** Breaks the started stack (after start; before badgateway runs). */
  brk?: (stack: Stack) => void | Promise<void>;
  /** The path asked for (the stack's URL when absent). */
  path?: string;
  /** nginx's own line in the site's error log; null where nginx logs nothing (the 502 it only passed on). */
  logged: string | RegExp | null;
  fix: { commands?: string[] | RegExp; edit?: { before: string; after: string | RegExp }; note?: string };
  /** An automatic fix: `--apply --yes` must heal it. */
  apply: boolean;
}

const REFUSED = 'connect() failed (111: Connection refused) while connecting to upstream';
const TIMED_OUT = 'upstream timed out (110: Connection timed out) while reading response header from upstream';
const PYTHON_API = '^/usr/bin/python3 /srv/shop-api/server.py';

const gunicornTcp = (bind: string, dials: string) => gunicornUnderSupervisor({ gunicornBind: bind, nginxDials: dials });
const uwsgiOn = (ini: string, pass: string, ready: string[]) => uwsgiCausesApp({ iniExtra: `${ini}\n`, pass: `include uwsgi_params;\n        ${pass}`, ready });
const tcpOpen = (host: string, port: number) => ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`];
const stopped = (box: Box) => void stopProcesses(box, PYTHON_API);

export const CELLS: Cell[] = [
  // backend-down: nothing listens at a TCP address; what runs the backend starts it again.
  {
    stack: 'gunicorn (supervisord, TCP)',
    cause: 'backend-down',
    how: 'supervisorctl stop shop',
    start: () => gunicornTcp('127.0.0.1:8000', 'http://127.0.0.1:8000'),
    brk: (s) => void s.box.run(['supervisorctl', 'stop', 'shop']),
    logged: REFUSED,
    fix: { commands: ['supervisorctl start shop'] },
    apply: true,
  },
  {
    stack: 'uwsgi (Debian, TCP)',
    cause: 'backend-down',
    how: 'service uwsgi stop',
    start: () => uwsgiOn('socket = 127.0.0.1:3031', 'uwsgi_pass 127.0.0.1:3031;', tcpOpen('127.0.0.1', 3031)),
    brk: (s) => void s.box.run(['service', 'uwsgi', 'stop']),
    logged: REFUSED,
    fix: { commands: ['service uwsgi start'] },
    apply: true,
  },
  {
    stack: 'php-fpm (Debian, 127.0.0.1:9000)',
    cause: 'backend-down',
    how: 'service php8.2-fpm stop',
    start: () => phpFpmListening('127.0.0.1:9000', '127.0.0.1:9000'),
    brk: (s) => void s.box.run(['service', 'php8.2-fpm', 'stop']),
    logged: REFUSED,
    fix: { commands: ['service php8.2-fpm start'] },
    apply: true,
  },
  // wrong-port: the backend runs on another port than nginx dials; nginx is pointed at it.
  {
    stack: 'gunicorn (supervisord)',
    cause: 'wrong-port',
    how: '--bind 127.0.0.1:8001, nginx dials 8000',
    start: () => gunicornTcp('127.0.0.1:8001', 'http://127.0.0.1:8000'),
    logged: REFUSED,
    fix: { edit: { before: 'proxy_pass http://127.0.0.1:8000;', after: 'proxy_pass http://127.0.0.1:8001;' } },
    apply: true,
  },
  {
    stack: 'uwsgi (Debian)',
    cause: 'wrong-port',
    how: 'socket = 127.0.0.1:3032, uwsgi_pass 127.0.0.1:3031',
    start: () => uwsgiOn('socket = 127.0.0.1:3032', 'uwsgi_pass 127.0.0.1:3031;', tcpOpen('127.0.0.1', 3032)),
    logged: REFUSED,
    fix: { edit: { before: 'uwsgi_pass 127.0.0.1:3031;', after: 'uwsgi_pass 127.0.0.1:3032;' } },
    apply: true,
  },
  {
    stack: 'php-fpm (Debian)',
    cause: 'wrong-port',
    how: 'listen = 127.0.0.1:9001, fastcgi_pass 127.0.0.1:9000',
    start: () => phpFpmListening('127.0.0.1:9001', '127.0.0.1:9000'),
    logged: REFUSED,
    fix: { edit: { before: 'fastcgi_pass 127.0.0.1:9000;', after: 'fastcgi_pass 127.0.0.1:9001;' } },
    apply: true,
  },
  {
    stack: 'runit',
    cause: 'wrong-port',
    how: 'the run script says 8012, nginx dials 8002',
    start: () => apiUnder('runit', { port: 8012 }),
    logged: REFUSED,
    fix: { edit: { before: 'proxy_pass http://127.0.0.1:8002;', after: 'proxy_pass http://127.0.0.1:8012;' } },
    apply: true,
  },
  {
    stack: 's6',
    cause: 'wrong-port',
    how: 'the run script says 8013, nginx dials 8003',
    start: () => apiUnder('s6', { port: 8013 }),
    logged: REFUSED,
    fix: { edit: { before: 'proxy_pass http://127.0.0.1:8003;', after: 'proxy_pass http://127.0.0.1:8013;' } },
    apply: true,
  },
  // read-timeout: a route slower (5 s) than proxy_read_timeout 2s; the timeout raised.
  ...(['pm2', 'init', 'runit', 's6'] as const).map(
    (runner): Cell => ({
      stack: runner === 'pm2' ? 'Node (pm2)' : runner === 'init' ? 'init script' : runner,
      cause: 'read-timeout',
      how: '/slow?s=5, proxy_read_timeout 2s',
      start: () => apiUnder(runner, { proxyExtra: 'proxy_read_timeout 2s;' }),
      path: '/slow?s=5',
      logged: TIMED_OUT,
      fix: { edit: { before: 'proxy_read_timeout 2s;', after: /^proxy_read_timeout \d+s;$/ } },
      apply: true,
    }),
  ),
  // backend-hung: the process stopped (SIGSTOP) while its socket still accepts; continued.
  ...(['runit', 's6'] as const).map(
    (runner): Cell => ({
      stack: runner,
      cause: 'backend-hung',
      how: 'kill -STOP, proxy_read_timeout 2s',
      start: () => apiUnder(runner, { proxyExtra: 'proxy_read_timeout 2s;' }),
      brk: (s) => stopped(s.box),
      logged: TIMED_OUT,
      // The stopped process continued, not a longer timeout.
      fix: { commands: /^kill -CONT -- \d+$/ },
      apply: true,
    }),
  ),
  // protocol-mismatch: nginx speaks another protocol than the backend.
  {
    stack: 'gunicorn (supervisord)',
    cause: 'protocol-mismatch',
    how: 'proxy_pass https:// at plain HTTP',
    start: () => gunicornTcp('127.0.0.1:8000', 'https://127.0.0.1:8000'),
    // gunicorn reads the ClientHello as a request line, so nginx's line depends on the hello's random bytes.
    // Most hellos hold no CRLF: gunicorn waits for one until its worker timeout, then closes. A hello that
    // holds one is answered with a 400, which OpenSSL reads as a record of the wrong version.
    logged: /(peer closed connection in SSL handshake|SSL_do_handshake\(\) failed \(SSL: error:0A00010B:SSL routines::wrong version number\)) while SSL handshaking to upstream/,
    fix: { edit: { before: 'proxy_pass https://127.0.0.1:8000;', after: 'proxy_pass http://127.0.0.1:8000;' } },
    apply: true,
  },
  {
    stack: 'gunicorn (supervisord)',
    cause: 'protocol-mismatch',
    how: "uwsgi_pass at gunicorn's unix socket",
    start: async () => {
      const s = await gunicornUnderSupervisor();
      await editSite(s.box, 'shop', 'include proxy_params;\n        proxy_pass http://unix:/run/shop/gunicorn.sock;', 'include uwsgi_params;\n        uwsgi_pass unix:/run/shop/gunicorn.sock;');
      return s;
    },
    // gunicorn waits for a request line until its worker timeout (30 s), then closes.
    logged: 'upstream prematurely closed connection while reading response header from upstream',
    fix: { edit: { before: 'uwsgi_pass unix:/run/shop/gunicorn.sock;', after: /proxy_pass http:\/\/unix:\/run\/shop\/gunicorn\.sock;/ } },
    apply: true,
  },
  {
    stack: 'Node (pm2)',
    cause: 'protocol-mismatch',
    how: 'proxy_pass https:// at plain HTTP',
    start: async () => {
      const s = await nodeUnderPm2();
      await editSite(s.box, 'api', 'proxy_pass http://127.0.0.1:3000;', 'proxy_pass https://127.0.0.1:3000;');
      return s;
    },
    logged: 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream',
    fix: { edit: { before: 'proxy_pass https://127.0.0.1:3000;', after: 'proxy_pass http://127.0.0.1:3000;' } },
    apply: true,
  },
  {
    stack: 'init script',
    cause: 'protocol-mismatch',
    how: 'proxy_pass https:// at plain HTTP',
    start: async () => {
      const s = await apiUnder('init');
      await editSite(s.box, 'api', 'proxy_pass http://127.0.0.1:8001;', 'proxy_pass https://127.0.0.1:8001;');
      return s;
    },
    logged: 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream',
    fix: { edit: { before: 'proxy_pass https://127.0.0.1:8001;', after: 'proxy_pass http://127.0.0.1:8001;' } },
    apply: true,
  },
  // upstream-returned-502: the app answers 502 itself; nginx passes it on and logs nothing. Not nginx's to fix.
  { stack: 'gunicorn (supervisord)', cause: 'upstream-returned-502', how: "the app's /502", start: gunicornCausesApp, path: '/502', logged: null, fix: {}, apply: false },
  {
    stack: 'uwsgi (Debian)',
    cause: 'upstream-returned-502',
    how: "the app's /502",
    start: () => uwsgiCausesApp(),
    path: '/502',
    logged: null,
    fix: { note: 'uwsgi_intercept_errors on;' },
    apply: false,
  },
  {
    stack: 'php-fpm (Debian)',
    cause: 'upstream-returned-502',
    how: 'http_response_code(502)',
    start: () => phpFpmDebian({ scripts: { 'index.php': '<?php http_response_code(502); echo "payments upstream down\\n";' } }),
    logged: null,
    fix: { note: 'fastcgi_intercept_errors on;' },
    apply: false,
  },
  { stack: 'Node (pm2)', cause: 'upstream-returned-502', how: "the app's /502", start: () => apiUnder('pm2'), path: '/502', logged: null, fix: {}, apply: false },
  { stack: 'init script', cause: 'upstream-returned-502', how: "the app's /502", start: () => apiUnder('init'), path: '/502', logged: null, fix: {}, apply: false },
  // socket-tcp-mismatch: uwsgi on one kind of address, nginx dialling the other.
  {
    stack: 'uwsgi (Debian)',
    cause: 'socket-tcp-mismatch',
    how: 'uwsgi on its unix socket, uwsgi_pass 127.0.0.1:3031',
    start: () => uwsgiOn('', 'uwsgi_pass 127.0.0.1:3031;', ['test', '-S', '/run/uwsgi/app/shop/socket']),
    logged: REFUSED,
    fix: { edit: { before: 'uwsgi_pass 127.0.0.1:3031;', after: 'uwsgi_pass unix:/run/uwsgi/app/shop/socket;' } },
    apply: true,
  },
  {
    stack: 'uwsgi (Debian)',
    cause: 'socket-tcp-mismatch',
    // Debian's default.ini adds its own /run/uwsgi/app/shop/socket to every app, so uwsgi listens on both; nginx
    // dials a socket path of its own (a tutorial's), and is pointed at the TCP listener the app's ini names.
    how: 'socket = 127.0.0.1:3031, uwsgi_pass unix:/run/uwsgi/shop.sock',
    start: () => uwsgiOn('socket = 127.0.0.1:3031', 'uwsgi_pass unix:/run/uwsgi/shop.sock;', tcpOpen('127.0.0.1', 3031)),
    logged: 'connect() to unix:/run/uwsgi/shop.sock failed (2: No such file or directory) while connecting to upstream',
    fix: { edit: { before: 'uwsgi_pass unix:/run/uwsgi/shop.sock;', after: 'uwsgi_pass 127.0.0.1:3031;' } },
    apply: true,
  },
];

/** The cell's name in a test: stack, cause, and what was done. */
export const cellName = (c: Cell) => `${c.stack} × ${c.cause}: ${c.how}`;

/** The URL a cell asks for. */
export const cellUrl = (c: Cell, stack: Stack) => (c.path ? new URL(c.path, stack.url).href : stack.url);

/** Asserts nginx's own line (or its silence) and the cause and fix badgateway reported. */
export function expectCell(c: Cell, stack: Stack, report: any, path: string): void {
  expect(report.diagnosis.cause, path).toBe(c.cause);
  const log = stack.box.read(`/var/log/nginx/${stack.host}.error.log`);
  if (c.logged instanceof RegExp) expect(log).toMatch(c.logged);
  else if (c.logged) expect(log).toContain(c.logged);
  else expect(log).not.toMatch(/upstream/);
  if (c.fix.commands instanceof RegExp) expect(report.fix.commands).toEqual([expect.stringMatching(c.fix.commands)]);
  else if (c.fix.commands) expect(report.fix.commands).toEqual(c.fix.commands);
  if (c.fix.edit) {
    expect(report.fix.edits).toHaveLength(1);
    expect(report.fix.edits[0]).toMatchObject({ file: expect.stringMatching(/^\/etc\/nginx\/sites-enabled\//), before: c.fix.edit.before });
    expect(report.fix.edits[0].after).toMatch(c.fix.edit.after);
  }
  if (c.fix.note) expect(report.fix.notes.join('\n')).toContain(c.fix.note);
  if (!c.apply) expect(report.fix.edits).toEqual([]);
}
