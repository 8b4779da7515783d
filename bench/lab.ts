import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx, type Nginx, type NginxOptions } from '../test/integration/lab/nginx.js';
import { startPhpFpm, type PhpFpm, type PhpFpmOptions } from '../test/integration/lab/php-fpm.js';
import { sshClient, type SshClient } from '../test/integration/lab/ssh-client.js';

type Cleanup = () => Promise<void> | void;

/**
 * What one bench scenario starts, undone newest first by `cleanup()`: processes stopped by PID (the lab
 * helpers' stop), folders removed. The integration suite's labScope is tied to vitest; this is the same
 * idea for a plain script.
 */
export class BenchLab {
  private readonly cleanups: Cleanup[] = [];

  later(...more: Cleanup[]): void {
    this.cleanups.push(...more);
  }

  own<T extends { stop: () => Promise<void> }>(started: T): T {
    this.later(() => started.stop());
    return started;
  }

  async nginx(options: NginxOptions): Promise<Nginx> {
    const started = await startNginx(options);
    this.later(
      () => started.remove(),
      () => started.stop(),
    );
    return started;
  }

  async phpFpm(options: PhpFpmOptions): Promise<PhpFpm> {
    const started = await startPhpFpm(options);
    this.later(
      () => started.remove(),
      () => started.stop(),
    );
    return started;
  }

  /** A folder every user may traverse (sockets for nginx's workers live here). */
  scratchDir(prefix = 'bgw-bench-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o755);
    this.later(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async cleanup(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error(`bench cleanup: ${(error as Error).message}`);
      }
    }
  }
}

/** An ssh client's own HOME: a fresh key, an empty known_hosts, no agent. */
export type ClientHome = SshClient;

/** An ssh client of the bench's own (the integration lab's): a fresh HOME with a key, no agent. */
export function clientHome(lab: BenchLab): ClientHome {
  const client = sshClient();
  lab.later(() => client.remove());
  return client;
}
