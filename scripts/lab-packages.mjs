// Installs what the integration lab needs (test/integration/lab/packages.json) when run as root, before
// the lab's namespaces are made: inside them there is no network. Without root it only says what is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const { needed } = JSON.parse(readFileSync(new URL('../test/integration/lab/packages.json', import.meta.url), 'utf8'));
/** A program named without a folder (python3) counts wherever PATH finds it. */
const onPath = (name) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));
const missing = () => needed.filter(({ program }) => !(program.includes('/') ? existsSync(program) : onPath(program)));

const absent = missing();
const debian = absent.filter((p) => !p.npm).map((p) => p.package);
const npm = absent.filter((p) => p.npm).map((p) => p.package);
if (absent.length && process.getuid?.() === 0) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (debian.length) {
    // Installing nginx or php-fpm would start them as system services: the lab starts its own and never
    // stops what it did not start. Debian's policy-rc.d says "do not start" during the install.
    const policy = '/usr/sbin/policy-rc.d';
    const ownPolicy = !existsSync(policy);
    if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...debian], { stdio: 'inherit', env });
    } finally {
      if (ownPolicy) rmSync(policy, { force: true });
    }
  }
  if (npm.length) execFileSync('npm', ['install', '--global', '--no-audit', '--no-fund', ...npm], { stdio: 'inherit', env });
}
const still = missing();
if (still.length) {
  process.stderr.write(
    `the integration tests need ${still.map((p) => p.program).join(', ')}: run the tests as root (which installs them), or install them: ${[
      still.some((p) => !p.npm)
        ? `apt-get install ${still
            .filter((p) => !p.npm)
            .map((p) => p.package)
            .join(' ')}`
        : '',
      still.some((p) => p.npm)
        ? `npm install --global ${still
            .filter((p) => p.npm)
            .map((p) => p.package)
            .join(' ')}`
        : '',
    ]
      .filter(Boolean)
      .join('; ')}\n`,
  );
  process.exit(1);
}
