import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from './lab/badgateway.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const { nginx, phpFpm, scratchDir } = labScope();

const nodes = (report: any): string[] => report.steps.map((s: { node: string }) => s.node);

// `error_log FILE crit;` hides every upstream error (nginx writes them at level error): nothing in the log
// says why, so the backend is asked directly and the diagnosis goes on from what that request meets.
describe('an error log above level error: no line at all, and the backend is still examined', () => {
  it('backend-down behind error_log crit: our own request is refused, so the backend is looked for', async () => {
    const port = await freePort();
    const site = await nginx({ server: `location / { error_log logs/quiet.log crit; proxy_pass http://127.0.0.1:${port}; }` });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('backend-down');
    expect(nodes(report)).toEqual(expect.arrayContaining(['error-log', 'backend-direct', 'refused-where', 'backend-listening']));
    expect(report.steps.find((s: { node: string }) => s.node === 'error-log').outcome).toBe('silent-failure');
    expect(report.steps.find((s: { node: string }) => s.node === 'backend-direct').outcome).toBe('refused');
  });

  // nginx writes a failed connect() to a unix socket at crit itself: only alert or emerg hides that one.
  it('socket-missing behind error_log alert on a PHP site: FastCGI cannot be asked over HTTP, so its socket is examined', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock'), pool: 'listen.mode = 0666' });
    const gone = join(dir, 'php8.2-fpm.sock');
    const site = await nginx({
      server: `location / { error_log logs/quiet.log alert; include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_pass unix:${gone}; }`,
    });
    const { report } = await diagnose(`http://127.0.0.1:${site.port}/`);
    expect(report.diagnosis.cause).toBe('socket-missing');
    expect(nodes(report)).toEqual(expect.arrayContaining(['backend-direct', 'silent-socket', 'socket-state']));
    // The pool that listens elsewhere is found as it is when nginx's line names the socket.
    expect(report.fix.edits).toEqual([expect.objectContaining({ file: site.confFile, after: expect.stringContaining(join(dir, 'app.sock')) })]);
  });
});
