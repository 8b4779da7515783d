import { FPM_FIND_BINARIES, FPM_FIND_CONFS, FPM_PS } from '../../../src/facts/php-fpm-pools.js';
import type { CommandResult } from '../../../src/hosts/host.js';
import { fixture, ran } from '../checks/fixtures.js';

/** Captured paths (/tmp/fpmcap/a, b, c; Debian's /etc/php) answered from the fixture files. */
const FILES: Record<string, string> = {
  '/tmp/fpmcap/a/php-fpm.conf': 'php-fpm/conf/a/php-fpm.conf',
  '/tmp/fpmcap/a/pool.d/app.conf': 'php-fpm/conf/a/pool.d/app.conf',
  '/tmp/fpmcap/b/php-fpm.conf': 'php-fpm/conf/b/php-fpm.conf',
  '/tmp/fpmcap/b/pool.d/api.conf': 'php-fpm/conf/b/pool.d/api.conf',
  '/etc/php/8.2/fpm/php-fpm.conf': 'php-fpm/conf/debian/php-fpm.conf',
  '/etc/php/8.2/fpm/pool.d/www.conf': 'php-fpm/conf/debian/pool.d/www.conf',
};
const TESTS: Record<string, { file: string; code: number }> = {
  '/tmp/fpmcap/a/php-fpm.conf': { file: 'php-fpm/tt-one-pool-root-socket.stderr.txt', code: 0 },
  '/tmp/fpmcap/b/php-fpm.conf': { file: 'php-fpm/tt-two-pools-tcp-unix.stderr.txt', code: 0 },
  '/etc/php/8.2/fpm/php-fpm.conf': { file: 'php-fpm/tt-debian-stock.stderr.txt', code: 0 },
  // The third master's config was gone when we looked: php-fpm says so as it did for a missing file.
  '/tmp/cc/fpm/php-fpm.conf': { file: 'php-fpm/tt-missing-conf.stderr.txt', code: 78 },
};
/** The pool files each include folder holds, found and read by one command (includedFilesCommand). */
const INCLUDES: Record<string, string> = {
  '/tmp/fpmcap/a/pool.d': 'php-fpm/included-files-a.txt',
  '/tmp/fpmcap/b/pool.d': 'php-fpm/included-files-b.txt',
  '/etc/php/8.2/fpm/pool.d': 'php-fpm/included-files-debian.txt',
};

export function answerFpm(argv: string[]): CommandResult | undefined {
  const key = argv.join(' ');
  if (key === FPM_PS.join(' ')) return ran(argv, fixture('php-fpm/ps-two-masters.txt'));
  if (key === FPM_FIND_BINARIES.join(' ')) return ran(argv, fixture('php-fpm/find-binaries.txt'));
  if (key === FPM_FIND_CONFS.join(' ')) return ran(argv, fixture('php-fpm/find-confs.stdout.txt'), { stderr: fixture('php-fpm/find-confs.stderr.txt'), code: 1 });
  if (key === 'readlink -- /proc/9829/exe') return ran(argv, fixture('php-fpm/readlink-exe.txt'));
  if (argv[0] === 'cat' && FILES[argv[2] ?? '']) return ran(argv, fixture(FILES[argv[2] as string] as string));
  if (argv[1] === '-tt' && TESTS[argv[3] ?? '']) {
    const t = TESTS[argv[3] as string] as { file: string; code: number };
    return ran(argv, '', { stderr: fixture(t.file), code: t.code });
  }
  if (argv[0] === 'sh' && argv[3] === 'fpm-include' && INCLUDES[argv[4] ?? '']) return ran(argv, fixture(INCLUDES[argv[4] as string] as string));
  return undefined;
}
