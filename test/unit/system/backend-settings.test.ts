import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gunicornFlags, supervisorGunicorn, uwsgiIni } from '../../../src/system/backend-settings.js';

/** The definition files as the lab's service-defs command printed them (after the \x1e<path> line). */
const body = (name: string) => {
  const text = readFileSync(new URL(`../../fixtures/service/${name}`, import.meta.url), 'utf8');
  return text.slice(text.indexOf('\n') + 1);
};

describe("a gunicorn or uwsgi backend's own settings, with their lines (captured in the lab boxes)", () => {
  it("supervisord's program: the flags of gunicorn's command= line and the program's user=", () => {
    const settings = supervisorGunicorn('/etc/supervisor/conf.d/shop.conf', body('service-defs-supervisor-socket.txt'), 'shop');
    const command = 'command=/usr/bin/gunicorn --workers 2 --bind unix:/run/shop/gunicorn.sock --error-logfile /var/log/shop/error.log app:app';
    expect(settings).toEqual({
      program: 'gunicorn',
      file: '/etc/supervisor/conf.d/shop.conf',
      anchor: { file: '/etc/supervisor/conf.d/shop.conf', line: 2, text: command },
      values: { workers: '2', user: 'www-data' },
      places: { workers: { file: '/etc/supervisor/conf.d/shop.conf', line: 2, text: command }, user: { file: '/etc/supervisor/conf.d/shop.conf', line: 4, text: 'user=www-data' } },
      definedBy: 'supervisor',
    });
    expect(supervisorGunicorn('/etc/supervisor/conf.d/shop.conf', body('service-defs-supervisor-socket.txt'), 'other')).toBeNull();
  });

  it("gunicorn's spellings of a flag: separate value, =value, and -wN", () => {
    expect(gunicornFlags('gunicorn -w 3 --backlog=64 --umask 077 app:app')).toEqual({ workers: '3', backlog: '64', umask: '077' });
    expect(gunicornFlags('gunicorn -w4 app:app')).toEqual({ workers: '4' });
  });

  it("Debian's uwsgi app ini: the [uwsgi] line, and no worker or socket keys yet", () => {
    const settings = uwsgiIni('/etc/uwsgi/apps-enabled/shop.ini', body('service-defs-debian-uwsgi.txt'));
    expect(settings).toMatchObject({ program: 'uwsgi', anchor: { line: 1, text: '[uwsgi]' }, values: {} });
    const extra = `${body('service-defs-debian-uwsgi.txt').trimEnd()}\nprocesses = 1\nlisten = 2\n`;
    expect(uwsgiIni('/etc/uwsgi/apps-enabled/shop.ini', extra)).toMatchObject({
      values: { workers: '1', backlog: '2' },
      places: { workers: { line: 6, text: 'processes = 1' }, backlog: { line: 7 } },
    });
  });
});
