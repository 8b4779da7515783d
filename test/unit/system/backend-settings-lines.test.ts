import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendEdits } from '../../../src/fixes/backend-edit.js';
import { gunicornLine, lineGunicorn } from '../../../src/system/backend-settings.js';

/** The service-defs command's output in the lab's gunicorn-under-an-init-script box: each file after a \x1e<path> line. */
const files = Object.fromEntries(
  readFileSync(new URL('../../fixtures/service/service-defs-init-default-gunicorn.txt', import.meta.url), 'utf8')
    .split('\x1e')
    .slice(1)
    .map((chunk) => [chunk.slice(0, chunk.indexOf('\n')), chunk.slice(chunk.indexOf('\n') + 1)]),
) as Record<string, string>;
const SOCKET = '/run/shop/gunicorn.sock';

describe("gunicorn's flags on the line of an init script, its /etc/default file or a systemd unit", () => {
  it('/etc/default/shop: the DAEMON_OPTS variable the init script passes to gunicorn, split around its quotes', () => {
    const settings = lineGunicorn('/etc/default/shop', files['/etc/default/shop'] ?? '', SOCKET, 'sysv');
    expect(settings).toMatchObject({
      program: 'gunicorn',
      definedBy: 'sysv',
      anchor: { line: 2, text: 'DAEMON_OPTS="--workers 1 --user www-data --group www-data --bind unix:/run/shop/gunicorn.sock app:app"' },
      values: { workers: '1', user: 'www-data', group: 'www-data' },
      around: { before: 'DAEMON_OPTS="', after: '"' },
    });
  });

  it("the init script's own default DAEMON_OPTS (line 14), which its /etc/default file overrides", () => {
    expect(lineGunicorn('/etc/init.d/shop', files['/etc/init.d/shop'] ?? '', SOCKET, 'sysv')).toMatchObject({ anchor: { line: 14 }, values: { workers: '2' } });
  });

  it('an edit keeps the variable and its quotes; --workers raised in place', () => {
    const settings = lineGunicorn('/etc/default/shop', files['/etc/default/shop'] ?? '', SOCKET, 'sysv');
    if (!settings) throw new Error('no settings');
    expect(backendEdits(settings, { workers: '5' }, 'why')).toEqual([
      {
        file: '/etc/default/shop',
        line: 2,
        before: 'DAEMON_OPTS="--workers 1 --user www-data --group www-data --bind unix:/run/shop/gunicorn.sock app:app"',
        after: 'DAEMON_OPTS="--workers 5 --user www-data --group www-data --bind unix:/run/shop/gunicorn.sock app:app"',
        why: 'why',
      },
    ]);
  });

  it("start-stop-daemon's `--startas gunicorn -- FLAGS \\`: a flag added goes after the --, the continuation kept", () => {
    const line = 'start-stop-daemon --start --startas /usr/bin/gunicorn -- --bind 127.0.0.1:8000 app:app \\';
    expect(gunicornLine(line)).toEqual({ before: 'start-stop-daemon --start --startas /usr/bin/gunicorn -- ', flags: '--bind 127.0.0.1:8000 app:app', after: ' \\' });
    const settings = lineGunicorn('/etc/init.d/api', `#!/bin/sh\n${line}\n`, ':8000', 'sysv');
    if (!settings) throw new Error('no settings');
    expect(backendEdits(settings, { workers: '3' }, 'w')[0]?.after).toBe('start-stop-daemon --start --startas /usr/bin/gunicorn -- --workers 3 --bind 127.0.0.1:8000 app:app \\');
  });

  it('a systemd unit: only ExecStart= counts, and a comment naming the socket does not', () => {
    const unit = `[Unit]\nDescription=shop\n# was: ExecStart=/usr/bin/gunicorn --bind unix:${SOCKET} old:app\n[Service]\nExecStart=/usr/bin/gunicorn --workers 3 --bind unix:${SOCKET} app:app\n`;
    expect(lineGunicorn('/etc/systemd/system/shop.service', unit, SOCKET, 'systemd')).toMatchObject({
      anchor: { line: 5 },
      values: { workers: '3' },
      around: { before: 'ExecStart=/usr/bin/gunicorn ', after: '' },
      definedBy: 'systemd',
    });
    expect(lineGunicorn('/etc/systemd/system/shop.service', unit, '/run/other.sock', 'systemd')).toBeNull();
  });
});
