import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createNetns, type Netns } from './netns.js';
import { startNginx, type Nginx, type NginxOptions } from './nginx.js';
import { startPhpFpm, type PhpFpm, type PhpFpmOptions } from './php-fpm.js';

type Cleanup = () => Promise<void> | void;

/**
 * What one test file starts, cleaned up after each test, newest first: processes stopped by PID,
 * folders and namespaces removed. Call once at the top of a test file.
 */
export function labScope() {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const later = (...more: Cleanup[]) => {
    cleanups.push(...more);
  };
  return {
    later,
    own<T extends { stop: () => Promise<void> }>(started: T): T {
      later(() => started.stop());
      return started;
    },
    async nginx(options: NginxOptions): Promise<Nginx> {
      const started = await startNginx(options);
      later(
        () => started.remove(),
        () => started.stop(),
      );
      return started;
    },
    async phpFpm(options: PhpFpmOptions): Promise<PhpFpm> {
      const started = await startPhpFpm(options);
      later(
        () => started.remove(),
        () => started.stop(),
      );
      return started;
    },
    /** A folder every user may traverse (sockets for nginx's workers live here). */
    scratchDir(prefix = 'bgw-scratch-'): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      chmodSync(dir, 0o755);
      later(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    netns(options: Parameters<typeof createNetns>[0] = {}): Netns {
      const ns = createNetns(options);
      later(() => ns.remove());
      return ns;
    },
  };
}
