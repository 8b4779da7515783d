import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, applyFix, stateDir } from './lab/apply.js';
import { startTcpBackend } from './lab/backend.js';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';
import { walkWizard } from './lab/wizard.js';

const { later, nginx, own, phpFpm, scratchDir } = labScope();

/** SIGSTOP to a process we started, and SIGCONT again when the test ends (a stopped process ignores SIGTERM). */
function stop(pid: number): void {
  process.kill(pid, 'SIGSTOP');
  later(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  });
}

const stepNodes = (report: any): string[] => report.steps.map((s: { node: string }) => s.node);

describe('backend-hung: the socket accepts, and nothing ever answers', () => {
  it('a stopped backend (SIGSTOP, state T): not slow but stopped; the fix continues it, and the request answers again', async () => {
    const port = await freePort();
    const backend = own(await startTcpBackend('127.0.0.1', port));
    const site = await nginx({ server: `location / { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    stop(backend.pid);
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('backend-hung');
    expect(report.steps.at(-1)).toMatchObject({ node: 'backend-timing', outcome: 'stopped' });
    expect(report.diagnosis.explanation).toContain(`pid ${backend.pid} stopped`);
    // Not the read-timeout fix: no timeout is raised.
    expect(report.fix.edits).toEqual([]);
    expect(report.fix.commands).toEqual([`kill -CONT -- ${backend.pid}`]);
    expect(await walkWizard(url)).toContain('Cause: backend-hung');

    const applied = await applyFix(url, stateDir(later));
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect((await answer(url)).status).toBe(200);
  });

  it('a backend that takes the request and never answers (every worker stuck): hung, not slow; restart it, never a longer timeout', async () => {
    const port = await freePort();
    own(await startTcpBackend('127.0.0.1', port, { mode: 'slow', seconds: 3600 }));
    const site = await nginx({ server: `location /api/ { proxy_pass http://127.0.0.1:${port}; proxy_read_timeout 1s; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/api/orders`);
    expect(report.diagnosis.cause).toBe('backend-hung');
    expect(stepNodes(report).slice(-2)).toEqual(['backend-timing', 'hung-service']);
    expect(report.steps.find((s: { node: string }) => s.node === 'backend-timing').outcome).toBe('never-answers');
    expect(report.fix.edits).toEqual([]);
    expect(JSON.stringify(report.fix)).not.toContain('proxy_read_timeout');
    expect(report.diagnosis.explanation).toContain('sleeping');
  });

  it('a stopped php-fpm (master and workers in state T) behind fastcgi_pass: stopped, and continued', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'php.sock'), pool: 'listen.mode = 0666' });
    const site = await nginx({
      server: `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_pass unix:${join(dir, 'php.sock')}; fastcgi_read_timeout 1s; }`,
    });
    const url = `http://127.0.0.1:${site.port}/`;
    expect((await answer(url)).status).toBe(200);
    // The whole pool: the master and its workers share the process group php-fpm was started in.
    process.kill(-fpm.process.pid, 'SIGSTOP');
    later(() => {
      try {
        process.kill(-fpm.process.pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    });
    const { report } = await diagnose(url);
    expect(report.diagnosis.cause).toBe('backend-hung');
    expect(report.steps.at(-1)).toMatchObject({ node: 'backend-timing', outcome: 'stopped' });
    const applied = await applyFix(url, stateDir(later));
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
  });
});
