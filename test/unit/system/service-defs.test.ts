import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addressPattern, parseServiceDefs, serviceDefsCommand, supervisorProgramLogs } from '../../../src/system/service-defs.js';

const read = (name: string) => readFileSync(new URL(`../../fixtures/service/${name}`, import.meta.url), 'utf8');

describe('which service is configured to listen where nginx dials (captured in the lab boxes)', () => {
  it("supervisord's program whose command binds the socket", () => {
    const address = { kind: 'unix', path: '/run/shop/gunicorn.sock' } as const;
    expect(parseServiceDefs(read('service-defs-supervisor-socket.txt'), address)).toEqual([
      {
        kind: 'supervisor',
        name: 'shop',
        file: '/etc/supervisor/conf.d/shop.conf',
        line: 'command=/usr/bin/gunicorn --workers 2 --bind unix:/run/shop/gunicorn.sock --error-logfile /var/log/shop/error.log app:app',
        // supervisord's stdout_logfile, then the log gunicorn's own --error-logfile names.
        logs: ['/var/log/shop/out.log', '/var/log/shop/error.log'],
      },
    ]);
  });

  it('the init script whose /etc/default file sets the port', () => {
    expect(parseServiceDefs(read('service-defs-init-default-port.txt'), { kind: 'tcp', port: 8001 })).toEqual([
      { kind: 'sysv', name: 'shop-api', file: '/etc/default/shop-api', line: 'PORT=8001', logs: [] },
    ]);
  });

  it("Debian's uwsgi: the app whose socket Debian's defaults place at /run/uwsgi/app/NAME/socket", () => {
    const address = { kind: 'unix', path: '/run/uwsgi/app/shop/socket' } as const;
    expect(serviceDefsCommand(address).slice(-1)).toEqual(['/etc/uwsgi/apps-enabled/shop.ini']);
    expect(parseServiceDefs(read('service-defs-debian-uwsgi.txt'), address)).toEqual([
      // Debian's init script logs each app to /var/log/uwsgi/app/NAME.log (--daemonize), as this app's logto also says.
      expect.objectContaining({ kind: 'sysv', name: 'uwsgi', file: '/etc/uwsgi/apps-enabled/shop.ini', logs: ['/var/log/uwsgi/app/shop.log'] }),
    ]);
  });

  it("Debian's uwsgi app whose own socket line names the TCP port uwsgi_pass dials: its apps are read only then, and /etc/init.d/uwsgi starts it", () => {
    const address = { kind: 'tcp', port: 3031, uwsgiApps: true } as const;
    expect(serviceDefsCommand(address)[2]).toContain('/etc/uwsgi/apps-enabled/*.ini');
    expect(serviceDefsCommand({ kind: 'tcp', port: 3031 })[2]).not.toContain('/etc/uwsgi/');
    expect(parseServiceDefs(read('service-defs-debian-uwsgi-tcp.txt'), address)).toEqual([
      { kind: 'sysv', name: 'uwsgi', file: '/etc/uwsgi/apps-enabled/shop.ini', line: 'socket = 127.0.0.1:3031', logs: ['/var/log/uwsgi/app/shop.log'] },
    ]);
    expect(parseServiceDefs(read('service-defs-debian-uwsgi-tcp.txt'), { kind: 'tcp', port: 3032, uwsgiApps: true })).toEqual([]);
  });

  it('a runit service whose run script names the port, found under /etc/sv and its /etc/service link once, with where svlogd writes', () => {
    expect(parseServiceDefs(read('service-defs-runit-port.txt'), { kind: 'tcp', port: 8002 })).toEqual([
      {
        kind: 'runit',
        name: 'shop-api',
        file: '/etc/sv/shop-api/run',
        line: 'exec chpst -u www-data /usr/bin/python3 /srv/shop-api/server.py 8002',
        logs: ['/var/log/shop-api/current'],
      },
    ]);
  });

  it("an s6 service in s6-svscan's scan directory whose run script names the port, with where s6-log writes", () => {
    expect(parseServiceDefs(read('service-defs-s6-port.txt'), { kind: 'tcp', port: 8003 })).toEqual([
      {
        kind: 's6',
        name: 'shop-api',
        file: '/run/service/shop-api/run',
        line: 'exec s6-setuidgid www-data /usr/bin/python3 /srv/shop-api/server.py 8003',
        logs: ['/var/log/shop-api/current'],
      },
    ]);
  });

  it('a systemd unit whose ExecStart names the port on a continued line, with the log its --log names and how to start it without systemd', () => {
    const [unit] = parseServiceDefs(read('service-defs-systemd-unit-continued.txt'), { kind: 'tcp', port: 8001 });
    expect(unit).toMatchObject({
      kind: 'systemd',
      name: 'shop-api.service',
      file: '/etc/systemd/system/shop-api.service',
      line: 'ExecStart=/usr/bin/python3 /srv/shop-api/server.py --log /var/log/shop-api/app.log 8001',
      logs: ['/var/log/shop-api/app.log'],
    });
    expect(unit?.byHand).toMatchObject({ log: '/var/log/shop-api.log' });
    const argv = unit?.byHand && 'argv' in unit.byHand ? unit.byHand.argv : [];
    expect(argv.slice(-10)).toEqual(['runuser', '-u', 'www-data', '--', 'env', '/usr/bin/python3', '/srv/shop-api/server.py', '--log', '/var/log/shop-api/app.log', '8001']);
  });

  it('not this: another port, a commented line, a port that only starts with the same digits', () => {
    expect(parseServiceDefs(read('service-defs-init-default-port.txt'), { kind: 'tcp', port: 8000 })).toEqual([]);
    const commented = '\x1e/etc/supervisor/conf.d/old.conf\n[program:old]\n;command=/usr/bin/gunicorn --bind unix:/run/shop/gunicorn.sock app:app\n';
    expect(parseServiceDefs(commented, { kind: 'unix', path: '/run/shop/gunicorn.sock' })).toEqual([]);
    expect(new RegExp(addressPattern({ kind: 'tcp', port: 800 }).replace('[[:space:]]', '\\s')).test('PORT=8001')).toBe(false);
  });
});

describe("a supervisord program's own log files (captured: Debian's supervisord.conf, then conf.d/flask.conf)", () => {
  const confs = read('supervisor-confs-flask.txt');

  it("the stdout_logfile of the program named, not the [supervisord] section's logfile", () => {
    expect(supervisorProgramLogs(confs, 'flask')).toEqual(['/var/log/flask/uwsgi.log']);
  });

  it('a program not defined there has none', () => {
    expect(supervisorProgramLogs(confs, 'shop')).toEqual([]);
  });
});

describe('a port written in quotes', () => {
  it('supervisord\'s environment=PORT="4000" names port 4000, and not 40000', () => {
    const section = '[program:api]\ncommand=/usr/bin/node /srv/api/server.js\nenvironment=PORT="4000",NODE_ENV="production"\n';
    const grep = (port: number) => new RegExp(addressPattern({ kind: 'tcp', port }).replace('[[:space:]]', '\\s')).test(section);
    expect([grep(4000), grep(400), grep(40000)]).toEqual([true, false, false]);
    expect(parseServiceDefs(`\x1e/etc/supervisor/conf.d/api.conf\n${section}`, { kind: 'tcp', port: 4000 })).toEqual([
      expect.objectContaining({ kind: 'supervisor', name: 'api', line: 'environment=PORT="4000",NODE_ENV="production"' }),
    ]);
  });
});
