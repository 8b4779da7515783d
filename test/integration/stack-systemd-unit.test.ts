import { describe, expect, it } from 'vitest';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';
import { initScriptBackend, type Stack } from './lab/stacks.js';

const { use, inBox } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;

/**
 * The shop API of the init-script stack, started on this box only by a systemd unit on disk (a container's
 * image keeps the unit it was built with; systemd is not its PID 1), and not running.
 */
async function unitOnly(unit: string): Promise<Stack> {
  const stack = await use(initScriptBackend());
  stack.box.run(['service', 'shop-api', 'stop']);
  stack.box.run(['rm', '-f', '/etc/init.d/shop-api', '/etc/default/shop-api']);
  stack.box.write('/etc/systemd/system/shop-api.service', unit);
  stack.box.write('/etc/shop-api/env', 'APP_GREETING=hello\n');
  return stack;
}

const UNIT = `[Unit]
Description=The shop's API
After=network.target

[Service]
User=www-data
Group=www-data
WorkingDirectory=/srv/shop-api
Environment="APP_MODE=production" APP_WORKERS=2
EnvironmentFile=/etc/shop-api/env
EnvironmentFile=-/etc/shop-api/optional.env
ExecStart=/usr/bin/python3 /srv/shop-api/server.py \\
    8001
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;

/** The user, working directory and environment of the process listening on 8001, as the box's /proc says. */
function listenerOf(stack: Stack): { user: string; cwd: string; environ: string } {
  const pid = stack.box.run(['sh', '-c', "ss -Hltnp 'sport = :8001' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2"]).trim();
  expect(pid, 'something listens on 8001').toMatch(/^\d+$/);
  return {
    user: stack.box.run(['ps', '-o', 'user=', '-p', pid]).trim(),
    cwd: stack.box.run(['readlink', `/proc/${pid}/cwd`]).trim(),
    environ: stack.box.run(['tr', '\\0', '\\n'], { input: stack.box.read(`/proc/${pid}/environ`) }),
  };
}

describe('a backend whose only definition is a systemd unit on disk, on a box where systemd is not running', () => {
  it('backend-down: started by hand as the unit says (user, folder, environment), applied and verified, locally', async () => {
    const stack = await unitOnly(UNIT);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(path(report)).toContain('backend-down-service:process');
    const said = JSON.stringify(report.diagnosis.evidence);
    expect(said).toContain('the systemd unit shop-api.service starts it (/etc/systemd/system/shop-api.service');
    expect(said).toContain('systemd is not running on this box');
    expect(said).toContain('nothing restarts it if it stops again');
    expect(report.fix.commands).toHaveLength(1);
    expect(report.fix.commands[0]).toMatch(/^setsid -f sh -c /);
    expect(report.fix.commands[0]).toContain(
      'sh /var/log/shop-api.log /srv/shop-api /etc/shop-api/env -/etc/shop-api/optional.env -- runuser -u www-data -g www-data -- env APP_MODE=production APP_WORKERS=2 /usr/bin/python3 /srv/shop-api/server.py 8001',
    );

    const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', stack.url], BOX_STATE);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    const running = listenerOf(stack);
    expect(running.user).toBe('www-data');
    expect(running.cwd).toBe('/srv/shop-api');
    expect(running.environ).toContain('APP_MODE=production');
    expect(running.environ).toContain('APP_GREETING=hello');
    expect(stack.box.run(['stat', '-c', '%F', '/var/log/shop-api.log']).trim()).toBe('regular file');
  });

  it('backend-down: the same over SSH, and the started backend outlives the session', async () => {
    const stack = await unitOnly(UNIT);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands[0]).toContain('runuser -u www-data -g www-data -- env APP_MODE=production APP_WORKERS=2 /usr/bin/python3 /srv/shop-api/server.py 8001');
    const applied = await overSsh(stack, ['--apply', '--yes', '--url', stack.url]);
    expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
    expect(listenerOf(stack).user).toBe('www-data');
  });

  it('a unit that needs systemd to expand it ($PORT) is named, with no command guessed', async () => {
    const stack = await unitOnly(UNIT.replace('server.py \\\n    8001', 'server.py ${PORT}\n# listens on 8001').replace('Environment="APP_MODE=production" APP_WORKERS=2', 'Environment=PORT=8001'));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(path(report)).toContain('backend-down-service:unknown');
    expect(report.fix.commands).toEqual([]);
    expect(JSON.stringify(report.diagnosis.evidence)).toContain("shop-api.service uses systemd's variables or specifiers");
  });
});
