import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/** Debian packages the integration suite drives for real, by the program that proves each is there. */
const NEEDED: { program: string; pkg: string }[] = [
  { program: '/usr/sbin/nginx', pkg: 'nginx-light' },
  { program: '/usr/bin/curl', pkg: 'curl' },
  { program: '/usr/bin/ss', pkg: 'iproute2' },
  { program: '/usr/bin/python3', pkg: 'python3' },
  { program: '/usr/sbin/php-fpm8.2', pkg: 'php8.2-fpm' },
  { program: '/usr/bin/namei', pkg: 'util-linux' },
  { program: '/usr/sbin/nft', pkg: 'nftables' },
  { program: '/usr/bin/openssl', pkg: 'openssl' },
  { program: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { program: '/usr/bin/ssh-keygen', pkg: 'openssh-client' },
  { program: '/usr/bin/sudo', pkg: 'sudo' },
  { program: '/usr/bin/pcre2test', pkg: 'pcre2-utils' },
];

function missing(): typeof NEEDED {
  return NEEDED.filter(({ program }) => !existsSync(program) && !(program.endsWith('python3') && hasPython()));
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs what the suite needs when run as root (as CI is); otherwise says exactly what to install. */
export default function setup(): void {
  let absent = missing();
  if (absent.length && process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Installing nginx or php-fpm would start them as system services: the tests start their own, and
    // never stop what they did not start. Debian's policy-rc.d says "do not start" during the install.
    const policy = '/usr/sbin/policy-rc.d';
    const ownPolicy = !existsSync(policy);
    if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...absent.map((a) => a.pkg)], { stdio: 'inherit', env });
    } finally {
      if (ownPolicy) rmSync(policy, { force: true });
    }
    absent = missing();
  }
  if (absent.length) {
    throw new Error(
      `the integration tests need ${absent.map((a) => a.program).join(', ')}: install them with: apt-get install ${absent.map((a) => a.pkg).join(' ')} (or run the tests as root, which installs them)`,
    );
  }
  if (!existsSync(new URL('../../dist/badgateway.js', import.meta.url))) {
    throw new Error('dist/badgateway.js is missing: run npm test (it builds first) or npm run build');
  }
}
