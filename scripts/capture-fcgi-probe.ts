/**
 * Captures test/fixtures/fcgi-probe/: the FastCGI header probe (src/system/fcgi-probe.ts) run against
 * Debian's php8.2-fpm in a lab box (test/integration/lab/stacks.ts), once per client the probe may pick:
 * cgi-fcgi, then python3 and perl with the clients before them hidden (a /dev/null bound over the binary
 * in a mount namespace of its own), then none. Run as root: npx tsx scripts/capture-fcgi-probe.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fcgiProbeCommand } from '../src/system/fcgi-probe.js';
import { phpFpmDebian } from '../test/integration/lab/stacks.js';

const OUT = 'test/fixtures/fcgi-probe';
const BIG = '<?php for ($i = 0; $i < 40; $i++) setcookie("c$i", str_repeat("x", 200)); trigger_error("many cookies", E_USER_WARNING); echo "ok\\n";';
const HIDDEN: Record<string, string[]> = {
  'cgi-fcgi': [],
  python3: ['/usr/bin/cgi-fcgi'],
  perl: ['/usr/bin/cgi-fcgi', '/usr/bin/python3.11'],
  'no-client': ['/usr/bin/cgi-fcgi', '/usr/bin/python3.11', '/usr/bin/perl'],
};

const stack = await phpFpmDebian({ scripts: { 'big.php': BIG, 'login.php': '<?php header("Location: /login"); ?>' } });
try {
  mkdirSync(OUT, { recursive: true });
  const run = (name: string, hide: string[], argv: string[]) => {
    const bind = hide.map((path) => `mount --bind /dev/null ${path} && `).join('');
    const full = stack.box.exec(['unshare', '--mount', '--', 'sh', '-c', `${bind}exec "$@"`, 'sh', ...argv]);
    const r = spawnSync(full[0] as string, full.slice(1), { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, timeout: 30_000 });
    writeFileSync(`${OUT}/${name}.json`, `${JSON.stringify({ code: r.status, stdout: r.stdout, stderr: r.stderr }, null, 1)}\n`);
  };
  const params = (script: string): [string, string][] => [
    ['SCRIPT_FILENAME', `/srv/blog.example/public/${script}`],
    ['REQUEST_METHOD', 'GET'],
    ['HTTP_HOST', 'blog.example'],
  ];
  const socket = { kind: 'unix', socket: '/run/php/php8.2-fpm.sock' } as const;
  for (const [client, hide] of Object.entries(HIDDEN)) run(`big-${client}`, hide, fcgiProbeCommand(socket, params('big.php')));
  run('small-python3', HIDDEN.python3 as string[], fcgiProbeCommand(socket, params('index.php')));
  run('small-cgi-fcgi', [], fcgiProbeCommand(socket, params('index.php')));
  run('redirect-python3', HIDDEN.python3 as string[], fcgiProbeCommand(socket, params('login.php')));
  run('no-socket-python3', HIDDEN.python3 as string[], fcgiProbeCommand({ kind: 'unix', socket: '/run/php/missing.sock' }, params('index.php')));
  run('no-socket-cgi-fcgi', [], fcgiProbeCommand({ kind: 'unix', socket: '/run/php/missing.sock' }, params('index.php')));
} finally {
  await stack.box.remove();
}
