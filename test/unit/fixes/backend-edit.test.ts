import { describe, expect, it } from 'vitest';
import { backendEdits, setGunicornFlags, suggestBacklog, suggestWorkers } from '../../../src/fixes/backend-edit.js';
import { supervisorGunicorn, uwsgiIni } from '../../../src/system/backend-settings.js';

const SHOP = '[program:shop]\ncommand=/usr/bin/gunicorn --workers 1 --umask 077 --bind unix:/run/shop/gunicorn.sock app:app\ndirectory=/srv/shop\n';

describe("edits to a backend's own settings", () => {
  it("gunicorn's flags: a value replaced where it is given, a missing flag added after the program", () => {
    expect(setGunicornFlags('/usr/bin/gunicorn -w 1 app:app', { workers: '5', backlog: '256' })).toBe('/usr/bin/gunicorn --backlog 256 -w 5 app:app');
    expect(setGunicornFlags('/usr/bin/gunicorn --workers=1 -w2 app:app', { workers: '3' })).toBe('/usr/bin/gunicorn --workers=3 -w2 app:app');
  });

  it("supervisord's program: one edit of the command= line (gunicorn's --group among its flags), a user= added after it", () => {
    const settings = supervisorGunicorn('/etc/supervisor/conf.d/shop.conf', SHOP, 'shop');
    if (!settings) throw new Error('no settings');
    const edits = backendEdits(settings, { umask: '007', group: 'www-data', user: 'www-data' }, 'why');
    expect(edits).toEqual([
      {
        file: '/etc/supervisor/conf.d/shop.conf',
        line: 2,
        before: settings.anchor.text,
        after: 'command=/usr/bin/gunicorn --group www-data --workers 1 --umask 007 --bind unix:/run/shop/gunicorn.sock app:app\nuser=www-data',
        why: 'why',
      },
    ]);
    expect(backendEdits(settings, { workers: '1' }, 'why')).toEqual([]);
  });

  it('uwsgi: lines rewritten under their own key, missing ones after [uwsgi]', () => {
    const settings = uwsgiIni('/etc/uwsgi/apps-enabled/shop.ini', '[uwsgi]\nplugins = python3\nworkers = 1\nchmod-socket = 600\n');
    if (!settings) throw new Error('no settings');
    expect(backendEdits(settings, { workers: '3', 'chmod-socket': '660', 'chown-socket': 'www-data:www-data' }, 'w')).toEqual([
      { file: '/etc/uwsgi/apps-enabled/shop.ini', line: 3, before: 'workers = 1', after: 'workers = 3', why: 'w' },
      { file: '/etc/uwsgi/apps-enabled/shop.ini', line: 4, before: 'chmod-socket = 600', after: 'chmod-socket = 660', why: 'w' },
      { file: '/etc/uwsgi/apps-enabled/shop.ini', line: 1, before: '[uwsgi]', after: '[uwsgi]\nchown-socket = www-data:www-data', why: 'w' },
    ]);
  });

  it('workers: 2 x CPUs + 1, capped by the memory available, never fewer than one more', () => {
    expect(suggestWorkers(1, [40_960, 40_960], 2_048_000, 2)).toEqual({ suggested: 5, why: '1 -> 5: 2 CPUs (2 x CPUs + 1 = 5), each worker uses about 40 MB, 2000 MB available' });
    expect(suggestWorkers(1, [409_600], 1_024_000, 8).suggested).toBe(3);
    expect(suggestWorkers(4, [409_600], 100_000, 2).suggested).toBe(5);
  });

  it('the listen queue: four times as long, at least 128, capped by somaxconn', () => {
    expect(suggestBacklog(2, 4096)).toBe(128);
    expect(suggestBacklog(100, 4096)).toBe(400);
    expect(suggestBacklog(2048, 4096)).toBe(4096);
  });
});
