/**
 * Issue 13: every php-fpm cause the lab reproduces, on a site in the front-controller shape that
 * WordPress, Laravel and Symfony document, diagnosed for `GET /`. nginx reaches php-fpm only through an
 * internal redirect there (the index directive, or try_files' last argument): the route must follow it.
 * Each test builds the same broken setup as the test named in its comment and expects the same cause.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer } from './lab/apply.js';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const { later, nginx, phpFpm, netns, scratchDir } = labScope();

const STOCK_SOCKET = '/run/php/php8.2-fpm.sock';
const STOCK_PID = '/run/php/php8.2-fpm.pid';
const HELLO = '<?php echo "hello from php\\n";';
const ASSET = 'body { color: #333; }\n';

type Shape = 'wordpress' | 'laravel' | 'symfony';

/**
 * The server{} body of a front-controller site, as each framework's documentation writes it. `pass` is
 * the directive that hands PHP to the backend (with its semicolon), `extra` more lines for that location.
 * fastcgi_params is named by its absolute path: the lab's nginx has its own config folder.
 */
function frontController(shape: Shape, docroot: string, pass: string, extra = ''): string {
  const php = [pass, extra].filter(Boolean).join('\n            ');
  switch (shape) {
    case 'wordpress':
      return `root ${docroot};
        index index.php index.html;
        location = /favicon.ico { log_not_found off; access_log off; }
        location / { try_files $uri $uri/ /index.php?$args; }
        location ~ \\.php$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            ${php}
        }
        location ~* \\.(js|css|png|jpg|jpeg|gif|ico)$ { expires max; log_not_found off; }`;
    case 'laravel':
      return `root ${docroot};
        add_header X-Frame-Options "SAMEORIGIN";
        add_header X-Content-Type-Options "nosniff";
        index index.php;
        charset utf-8;
        location / { try_files $uri $uri/ /index.php?$query_string; }
        location = /favicon.ico { access_log off; log_not_found off; }
        location = /robots.txt { access_log off; log_not_found off; }
        error_page 404 /index.php;
        location ~ \\.php$ {
            ${php}
            fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
            include /etc/nginx/fastcgi_params;
        }
        location ~ /\\.(?!well-known).* { deny all; }`;
    case 'symfony':
      return `root ${docroot};
        location / { try_files $uri /index.php$is_args$args; }
        location ~ ^/index\\.php(/|$) {
            ${php}
            fastcgi_split_path_info ^(.+\\.php)(/.*)$;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;
            fastcgi_param DOCUMENT_ROOT $realpath_root;
            internal;
        }
        location ~ \\.php$ { return 404; }`;
  }
}

/** The scripts of a front-controller docroot: index.php (the controller) and a static asset. */
const app = (index = HELLO): Record<string, string> => ({ 'index.php': index, 'style.css': ASSET });

/** A docroot of its own (no php-fpm serves it) that nginx's workers may read. */
function docroot(): string {
  const dir = scratchDir('bgw-www-');
  for (const [name, source] of Object.entries(app())) writeFileSync(join(dir, name), source);
  return dir;
}

/** What a failure message needs: the route step (where the engine sent GET /) and the walk. */
function trail(report: any): string {
  const route = report.steps?.find((s: { node: string }) => s.node === 'route');
  const walk = (report.steps ?? []).map((s: { node: string; outcome: string }) => `${s.node}:${s.outcome}`).join(' > ');
  return `route step: ${JSON.stringify(route)}\nwalk: ${walk}\ncause: ${report.diagnosis?.cause}`;
}

/** The site is the shape it claims: nginx serves the static asset itself, and GET / fails through php-fpm. */
/** Soft: checked after the diagnosis whether it passed or not, so a failing test also says whether the setup was right. */
async function expectBrokenFrontController(port: number, wrap?: (argv: string[]) => string[]): Promise<void> {
  expect.soft(await answer(`http://127.0.0.1:${port}/style.css`, wrap), 'nginx serves the static asset itself').toEqual({ status: 200, body: ASSET });
  expect.soft([502, 504], 'GET / fails through php-fpm').toContain((await answer(`http://127.0.0.1:${port}/`, wrap)).status);
}

/** The location each shape hands PHP to the backend from: where the route must end up for GET /. */
const PHP_LOCATION: Record<Shape, string> = { wordpress: 'location ~ \\.php$', laravel: 'location ~ \\.php$', symfony: 'location ~ ^/index\\.php(/|$)' };

/**
 * The diagnosis of GET / on a front-controller site: the route follows the internal redirect to the PHP
 * location, then `check` holds; after it (always) the check that the site is broken as built.
 */
async function diagnoseFrontController(shape: Shape, port: number, check: (report: any) => void, wrap?: (argv: string[]) => string[]): Promise<void> {
  try {
    const { report } = await diagnose(`http://127.0.0.1:${port}/`, wrap ? { wrap } : {});
    const route = report.steps.find((s: { node: string }) => s.node === 'route');
    expect(route?.outcome, trail(report)).toBe('proxied');
    expect(route?.summary, trail(report)).toContain(`${PHP_LOCATION[shape]} sends it to`);
    check(report);
  } finally {
    await expectBrokenFrontController(port, wrap);
  }
}

describe('php-fpm causes on a front-controller site, diagnosed for GET / (issue 13)', () => {
  // socket-causes: "socket-missing: the stock php8.2-fpm is stopped"
  it('socket-missing (WordPress shape): the stock php8.2-fpm is stopped', async () => {
    expect(existsSync(STOCK_SOCKET), `${STOCK_SOCKET} exists: stop the stock php8.2-fpm before this test`).toBe(false);
    expect(existsSync('/run/systemd/system'), 'this test expects a box without systemd running').toBe(false);
    const site = await nginx({ server: frontController('wordpress', docroot(), `fastcgi_pass unix:${STOCK_SOCKET};`) });
    await diagnoseFrontController('wordpress', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('socket-missing');
      expect(report.fix.commands, trail(report)).toEqual(['service php8.2-fpm start']);
    });
  });

  // socket-causes: "socket-missing: php-fpm runs, but its pool creates the socket under another path"
  it('socket-missing (Laravel shape): php-fpm runs, its pool makes the socket under another path', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock'), scripts: app() });
    const old = join(dir, 'old-app.sock');
    const site = await nginx({ server: frontController('laravel', fpm.docroot, `fastcgi_pass unix:${old};`) });
    await diagnoseFrontController('laravel', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('socket-missing');
      expect(report.fix.edits, trail(report)).toEqual([expect.objectContaining({ file: site.confFile, before: `fastcgi_pass unix:${old};`, after: `fastcgi_pass unix:${join(dir, 'app.sock')};` })]);
    });
  });

  // socket-causes: "socket-tcp-mismatch: nginx dials a socket, the php-fpm pool listens on TCP"
  it('socket-tcp-mismatch (Symfony shape): nginx dials a socket, the pool listens on TCP', async () => {
    const ns = netns();
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, netns: ns, scripts: app() });
    const socket = join(scratchDir(), 'php.sock');
    const site = await nginx({ netns: ns, server: frontController('symfony', fpm.docroot, `fastcgi_pass unix:${socket};`) });
    await diagnoseFrontController(
      'symfony',
      site.port,
      (report) => {
        expect(report.diagnosis.cause, trail(report)).toBe('socket-tcp-mismatch');
        expect(report.fix.edits, trail(report)).toEqual([expect.objectContaining({ file: site.confFile, before: `fastcgi_pass unix:${socket};`, after: `fastcgi_pass 127.0.0.1:${port};` })]);
      },
      ns.exec,
    );
  });

  // socket-causes: "socket-tcp-mismatch: nginx dials TCP, the php-fpm pool listens on a unix socket"
  it('socket-tcp-mismatch (WordPress shape): nginx dials TCP, the pool listens on a unix socket', async () => {
    const ns = netns();
    const socket = join(scratchDir(), 'php.sock');
    const fpm = await phpFpm({ listen: socket, netns: ns, scripts: app() });
    const port = await freePort();
    const site = await nginx({ netns: ns, server: frontController('wordpress', fpm.docroot, `fastcgi_pass 127.0.0.1:${port};`) });
    await diagnoseFrontController(
      'wordpress',
      site.port,
      (report) => {
        expect(report.diagnosis.cause, trail(report)).toBe('socket-tcp-mismatch');
        expect(report.fix.edits, trail(report)).toEqual([expect.objectContaining({ file: site.confFile, before: `fastcgi_pass 127.0.0.1:${port};`, after: `fastcgi_pass unix:${socket};` })]);
      },
      ns.exec,
    );
  });

  // socket-causes: "socket-permission: the php-fpm pool makes its socket root-only"
  it('socket-permission (Symfony shape): the pool makes its socket root-only', async () => {
    const socket = join(scratchDir(), 'php.sock');
    const fpm = await phpFpm({ listen: socket, pool: 'listen.owner = root\nlisten.group = root\nlisten.mode = 0600', scripts: app() });
    const site = await nginx({ user: 'nobody nogroup', server: frontController('symfony', fpm.docroot, `fastcgi_pass unix:${socket};`) });
    await diagnoseFrontController('symfony', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('socket-permission');
      expect(
        report.fix.edits.map((e: { file: string; after: string }) => [e.file, e.after]),
        trail(report),
      ).toEqual([
        [fpm.poolFile, 'listen.owner = www-data'],
        [fpm.poolFile, 'listen.group = nogroup'],
        [fpm.poolFile, 'listen.mode = 0660'],
      ]);
    });
  });

  // apply-services: "backend-down: a stale socket of the stopped stock php-fpm" (diagnosed here, not applied)
  it('backend-down (Laravel shape): a stale socket of the stopped stock php-fpm', async () => {
    expect(existsSync(STOCK_SOCKET), `${STOCK_SOCKET} exists: stop the stock php8.2-fpm before this test`).toBe(false);
    // A socket file nobody listens on any more: what a php-fpm killed with SIGKILL leaves behind.
    execFileSync('python3', ['-c', 'import socket,os,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); os._exit(0)', STOCK_SOCKET]);
    later(() => {
      if (!existsSync(STOCK_PID) && existsSync(STOCK_SOCKET)) execFileSync('rm', ['-f', '--', STOCK_SOCKET]);
    });
    execFileSync('chown', ['www-data:www-data', '--', STOCK_SOCKET]);
    execFileSync('chmod', ['660', '--', STOCK_SOCKET]);
    const site = await nginx({ user: 'www-data www-data', server: frontController('laravel', docroot(), `fastcgi_pass unix:${STOCK_SOCKET};`) });
    await diagnoseFrontController('laravel', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('backend-down');
      expect(
        report.steps.map((s: { node: string }) => s.node),
        trail(report),
      ).toContain('socket-stale-config');
      expect(report.fix.commands, trail(report)).toEqual(['service php8.2-fpm start']);
    });
  });

  // limits-causes: "read-timeout with php-fpm: fastcgi_read_timeout ends the script before request_terminate_timeout"
  it('read-timeout (Laravel shape): fastcgi_read_timeout ends the front controller before request_terminate_timeout', async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, pool: 'request_terminate_timeout = 5s', scripts: app('<?php sleep(3); echo "done\\n";') });
    const site = await nginx({ server: frontController('laravel', fpm.docroot, `fastcgi_pass 127.0.0.1:${port};`, 'fastcgi_read_timeout 1s;') });
    await diagnoseFrontController('laravel', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('read-timeout');
      expect(report.diagnosis.explanation, trail(report)).toContain("nginx gives up after 1s, before php-fpm's request_terminate_timeout (5s)");
      expect(report.fix.edits[0], trail(report)).toMatchObject({ file: site.confFile, before: 'fastcgi_read_timeout 1s;', after: 'fastcgi_read_timeout 5s;' });
    });
  });

  // closed-causes: "a php-fpm worker killed mid-request (SIGKILL), named by php-fpm log"
  it("backend-crashed (WordPress shape): the front controller's php-fpm worker is killed mid-request (SIGKILL)", async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, scripts: app('<?php posix_kill(getmypid(), 9); echo "not reached\\n";') });
    const site = await nginx({ server: frontController('wordpress', fpm.docroot, `fastcgi_pass 127.0.0.1:${port};`) });
    await diagnoseFrontController('wordpress', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('backend-crashed');
      expect(report.diagnosis.explanation, trail(report)).toMatch(/child \d+ exited on signal 9 \(SIGKILL\)/);
      expect(report.fix.commands, trail(report)).toContain(`tail -n 200 -- ${fpm.logFile}`);
    });
  });

  // hung-causes: "a stopped php-fpm (master and workers in state T) behind fastcgi_pass"
  it('backend-hung (Symfony shape): the whole php-fpm pool is stopped (state T); continued, not given a longer timeout', async () => {
    const socket = join(scratchDir(), 'php.sock');
    const fpm = await phpFpm({ listen: socket, pool: 'listen.mode = 0666', scripts: app() });
    const site = await nginx({ server: frontController('symfony', fpm.docroot, `fastcgi_pass unix:${socket};`, 'fastcgi_read_timeout 1s;') });
    // The master and its workers share the process group php-fpm was started in.
    process.kill(-fpm.process.pid, 'SIGSTOP');
    later(() => {
      try {
        process.kill(-fpm.process.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    });
    await diagnoseFrontController('symfony', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('backend-hung');
      expect(report.steps.at(-1), trail(report)).toMatchObject({ node: 'backend-timing', outcome: 'stopped' });
      expect(report.fix.edits, trail(report)).toEqual([]);
      expect(report.fix.commands.join('\n'), trail(report)).toContain(`kill -CONT -- ${fpm.process.pid}`);
    });
  });

  // closed-causes: "proxy_pass at php-fpm, which speaks FastCGI (TCP)"
  it('protocol-mismatch (Laravel shape): the PHP location proxy_passes to php-fpm over TCP', async () => {
    const port = await freePort();
    const fpm = await phpFpm({ listen: `127.0.0.1:${port}`, scripts: app() });
    const site = await nginx({ server: frontController('laravel', fpm.docroot, `proxy_pass http://127.0.0.1:${port};`) });
    await diagnoseFrontController('laravel', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('protocol-mismatch');
      expect(report.fix.edits[0], trail(report)).toMatchObject({ file: site.confFile, before: `proxy_pass http://127.0.0.1:${port};` });
      expect(report.fix.edits[0].after, trail(report)).toContain(`fastcgi_pass 127.0.0.1:${port};`);
    });
  });

  // closed-causes: "proxy_pass at php-fpm on a unix socket: told by the process that holds it"
  it("protocol-mismatch (Symfony shape): the PHP location proxy_passes to php-fpm's unix socket", async () => {
    const socket = join(scratchDir(), 'php.sock');
    const fpm = await phpFpm({ listen: socket, pool: 'listen.mode = 0666', scripts: app() });
    const site = await nginx({ server: frontController('symfony', fpm.docroot, `proxy_pass http://unix:${socket};`) });
    await diagnoseFrontController('symfony', site.port, (report) => {
      expect(report.diagnosis.cause, trail(report)).toBe('protocol-mismatch');
      expect(report.diagnosis.explanation, trail(report)).toMatch(/php-fpm8\.2 listens there/);
      expect(report.fix.edits[0], trail(report)).toMatchObject({ before: `proxy_pass http://unix:${socket};` });
      expect(report.fix.edits[0].after, trail(report)).toContain(`fastcgi_pass unix:${socket};`);
    });
  });
});
