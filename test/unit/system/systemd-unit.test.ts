import { describe, expect, it } from 'vitest';
import { startByHand } from '../../../src/system/systemd-unit.js';

const unit = (service: string) => `[Unit]\nDescription=app\n\n[Service]\n${service}\n\n[Install]\nWantedBy=multi-user.target\n`;

/** The arguments after the fixed script: log, folder, environment files, "--", then the command. */
const argsAfterScript = (text: string): string[] => {
  const made = startByHand('app.service', text);
  if ('reason' in made) throw new Error(made.reason);
  expect(made.argv.slice(0, 4)).toEqual(['setsid', '-f', 'sh', '-c']);
  return made.argv.slice(6);
};

describe('a systemd unit started by hand where systemd does not run', () => {
  it('runs ExecStart as User and Group, in WorkingDirectory, with Environment and EnvironmentFile, output to a log named after the unit', () => {
    const text = unit('User=www-data\nGroup=web\nWorkingDirectory=/srv/app\nEnvironment="A=1 2" B=3\nEnvironmentFile=-/etc/default/app\nExecStart=/usr/bin/gunicorn --bind 127.0.0.1:8000 app:app');
    expect(argsAfterScript(text)).toEqual([
      '/var/log/app.log',
      '/srv/app',
      '-/etc/default/app',
      '--',
      'runuser',
      '-u',
      'www-data',
      '-g',
      'web',
      '--',
      'env',
      'A=1 2',
      'B=3',
      '/usr/bin/gunicorn',
      '--bind',
      '127.0.0.1:8000',
      'app:app',
    ]);
  });

  it('joins continued lines, drops the ExecStart prefixes, and runs as root without runuser', () => {
    const text = unit('ExecStart=-/usr/bin/node \\\n    /srv/api/server.js \\\n    --port 3000\nUser=root');
    expect(argsAfterScript(text)).toEqual(['/var/log/app.log', '', '--', 'env', '/usr/bin/node', '/srv/api/server.js', '--port', '3000']);
  });

  it('appends to the file StandardOutput names; "%%" and "$$" are the literal characters', () => {
    const text = unit("StandardOutput=append:/var/log/app/out.log\nExecStart=/usr/bin/gunicorn --access-logformat '%%(h)s $$HOME' app:app");
    expect(argsAfterScript(text)).toEqual(['/var/log/app/out.log', '', '--', 'env', '/usr/bin/gunicorn', '--access-logformat', '%(h)s $HOME', 'app:app']);
  });

  it('a later assignment wins, an empty Environment= resets the list, settings outside [Service] are not read', () => {
    const text = `[Unit]\nUser=nobody\n[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\nUser=a\nUser=b\nExecStart=/bin/true\n`;
    expect(argsAfterScript(text)).toEqual(['/var/log/app.log', '', '--', 'runuser', '-u', 'b', '--', 'env', 'B=2', '/bin/true']);
  });

  it('says why when only systemd could start it: variables, specifiers, "@", a relative path, no ExecStart', () => {
    const reason = (service: string) => {
      const made = startByHand('app.service', unit(service));
      return 'reason' in made ? made.reason : 'built';
    };
    expect(reason('ExecStart=/usr/bin/app --port ${PORT}')).toMatch(/systemd's variables or specifiers/);
    expect(reason('ExecStart=/usr/bin/app --name %i')).toMatch(/systemd's variables or specifiers/);
    expect(reason('User=%i\nExecStart=/usr/bin/app')).toMatch(/systemd's variables or specifiers/);
    expect(reason('ExecStart=@/usr/bin/app app-renamed')).toMatch(/argv\[0\]/);
    expect(reason('ExecStart=app --port 1')).toMatch(/absolute path/);
    expect(reason('WorkingDirectory=~\nExecStart=/usr/bin/app')).toMatch(/not an absolute path/);
    expect(reason('Type=oneshot')).toBe('app.service has no ExecStart');
  });
});
