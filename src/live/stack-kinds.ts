import type { StackKind } from './scenarios.js';

/** A program a live box drives, and what installs it (the same names as the lab's test/integration/lab/packages.json). */
export interface Needed {
  program: string;
  package: string;
  npm?: true;
}

/** What every box needs: namespaces, nginx, and the tools the checks and the trainee use. */
const EVERY_BOX: Needed[] = [
  { program: '/usr/bin/unshare', package: 'util-linux' },
  { program: '/usr/bin/nsenter', package: 'util-linux' },
  { program: '/usr/sbin/nginx', package: 'nginx-light' },
  { program: '/usr/bin/curl', package: 'curl' },
  { program: '/usr/bin/ss', package: 'iproute2' },
  { program: '/usr/bin/ip', package: 'iproute2' },
  { program: '/usr/bin/script', package: 'bsdutils' },
];

/**
 * Each stack: what it needs besides, and how its backend starts when the box boots (src/live/stacks.ts starts
 * it the same way). The durability check ends every process of the box and starts these, then nginx: a fix
 * that only lives in a running process (a backend started by hand, a setting changed in memory) is gone.
 */
export const STACK_KINDS: Record<StackKind, { title: string; needs: Needed[]; boot: string[][] }> = {
  'init-script': {
    title: 'a Python API started by /etc/init.d/shop-api',
    needs: [{ program: '/usr/bin/python3', package: 'python3' }],
    boot: [['service', 'shop-api', 'start']],
  },
  runit: {
    title: "a Python API run by runit (Debian's runit: runsvdir, /etc/sv)",
    needs: [
      { program: '/usr/bin/python3', package: 'python3' },
      { program: '/usr/bin/runsvdir', package: 'runit' },
    ],
    boot: [['start-stop-daemon', '--start', '--background', '--exec', '/usr/bin/runsvdir', '--', '-P', '/etc/service']],
  },
  s6: {
    title: "a Python API run by s6 (Debian's s6: s6-svscan /run/service)",
    needs: [
      { program: '/usr/bin/python3', package: 'python3' },
      { program: '/usr/bin/s6-svscan', package: 's6' },
    ],
    boot: [['start-stop-daemon', '--start', '--background', '--exec', '/usr/bin/s6-svscan', '--', '/run/service']],
  },
  pm2: {
    title: 'a Node app under pm2',
    needs: [
      { program: '/usr/bin/node', package: 'nodejs' },
      { program: 'pm2', package: 'pm2', npm: true },
    ],
    boot: [['pm2', 'start', '/srv/api/ecosystem.config.js']],
  },
  'gunicorn-supervisor': {
    title: 'gunicorn run by supervisord',
    needs: [
      { program: '/usr/bin/gunicorn', package: 'gunicorn' },
      { program: '/usr/bin/supervisord', package: 'supervisor' },
    ],
    boot: [['supervisord', '-c', '/etc/supervisor/supervisord.conf']],
  },
  uwsgi: {
    title: "Debian's uwsgi (apps-enabled)",
    needs: [
      { program: '/usr/bin/uwsgi', package: 'uwsgi' },
      { program: '/usr/lib/uwsgi/plugins/python3_plugin.so', package: 'uwsgi-plugin-python3' },
    ],
    boot: [['service', 'uwsgi', 'start']],
  },
  'php-fpm': {
    title: "Debian's php8.2-fpm",
    needs: [
      { program: '/usr/sbin/php-fpm8.2', package: 'php8.2-fpm' },
      { program: '/usr/bin/python3', package: 'python3' },
    ],
    boot: [['service', 'php8.2-fpm', 'start']],
  },
};

/** What a stack needs that `exists` does not find; the install commands that add it. Pure. */
export function missingFor(kind: StackKind, exists: (program: string) => boolean): { missing: Needed[]; install: string[] } {
  const missing = [...EVERY_BOX, ...STACK_KINDS[kind].needs].filter((n) => !exists(n.program));
  const debian = [...new Set(missing.filter((n) => !n.npm).map((n) => n.package))];
  const npm = [...new Set(missing.filter((n) => n.npm).map((n) => n.package))];
  const install = [...(debian.length ? [`apt-get install ${debian.join(' ')}`] : []), ...(npm.length ? [`npm install --global ${npm.join(' ')}`] : [])];
  return { missing, install };
}
