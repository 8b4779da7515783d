import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { actionOf, fpmConfOf, killedPid, modeUndo, parseOwnership } from '../../../../src/fixes/apply/commands.js';
import type { KnownFacts } from '../../../../src/facts/keys.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/apply/${name}`, import.meta.url), 'utf8');
const FACTS: KnownFacts = {
  'nginx.test': ['nginx', '-c', '/etc/nginx/nginx.conf', '-t'],
  'nginx.reload': ['systemctl', 'reload', 'nginx.service'],
  'service.start': ['service', 'php8.2-fpm', 'start'],
  'service.stop': ['service', 'php8.2-fpm', 'stop'],
  'service.restart': ['service', 'php8.2-fpm', 'restart'],
};
const cmd = (argv: string[]) => ({ argv, why: '', durable: true });

describe('what each planned command is, for applying it', () => {
  it('the nginx test and reload of this box, a service verb of its manager, a mode change, an SELinux boolean', () => {
    expect(actionOf(cmd(['nginx', '-c', '/etc/nginx/nginx.conf', '-t']), FACTS)).toEqual({ kind: 'nginx-test' });
    expect(actionOf(cmd(['systemctl', 'reload', 'nginx.service']), FACTS)).toEqual({ kind: 'nginx-reload' });
    expect(actionOf(cmd(['service', 'php8.2-fpm', 'start']), FACTS)).toEqual({ kind: 'service', verb: 'start' });
    expect(actionOf(cmd(['chgrp', 'nogroup', '--', '/run/app.sock']), FACTS)).toEqual({ kind: 'mode', tool: 'chgrp', path: '/run/app.sock' });
    expect(actionOf(cmd(['setsebool', '-P', 'httpd_can_network_connect', '1']), FACTS)).toEqual({ kind: 'selinux-boolean', name: 'httpd_can_network_connect', value: '1' });
  });

  it("supervisord's update of the managed program is its restart (it reads the changed definition); another program's is not", () => {
    const supervised: KnownFacts = { 'service.manager': 'supervisor', 'service.unit': 'shop', 'service.restart': ['supervisorctl', 'restart', 'shop'] };
    expect(actionOf(cmd(['supervisorctl', 'update', 'shop']), supervised)).toEqual({ kind: 'service', verb: 'restart' });
    expect(actionOf(cmd(['supervisorctl', 'update', 'other']), supervised)).toEqual({ kind: 'manual' });
    expect(actionOf(cmd(['supervisorctl', 'update', 'shop']), FACTS)).toEqual({ kind: 'manual' });
  });

  it('not this: commands that only show something, and anything else, are never run by themselves', () => {
    expect(actionOf(cmd(['tail', '-n', '200', '--', '/var/log/app.log']), FACTS)).toEqual({ kind: 'read-only' });
    expect(actionOf(cmd(['systemctl', 'show', '-p', 'Restart', '--', 'app']), FACTS)).toEqual({ kind: 'read-only' });
    expect(actionOf(cmd(['nginx', '-t']), FACTS)).toEqual({ kind: 'manual' });
    expect(actionOf(cmd(['systemctl', 'restart', 'nginx']), FACTS)).toEqual({ kind: 'manual' });
    expect(actionOf(cmd(['chmod', 'g+rw', '/run/app.sock']), FACTS)).toEqual({ kind: 'manual' });
  });

  it('reads a real stat of mode and owner, and the undo puts the numbers back', () => {
    const before = parseOwnership(fixture('stat-ownership.txt'));
    expect(before).toEqual({ mode: '640', user: 'root', group: 'nogroup', uid: '0', gid: '65534' });
    const after = { ...before!, mode: '660', group: 'www-data', gid: '33' };
    expect(modeUndo({ kind: 'mode', tool: 'chmod', path: '/s' }, before!, after)).toEqual({ undo: ['chmod', '640', '--', '/s'], changed: 'mode of /s: 640 -> 660' });
    expect(modeUndo({ kind: 'mode', tool: 'chgrp', path: '/s' }, before!, after)).toEqual({ undo: ['chgrp', '65534', '--', '/s'], changed: 'group of /s: nogroup -> www-data' });
    expect(modeUndo({ kind: 'mode', tool: 'chown', path: '/s' }, before!, after).undo).toEqual(['chown', '0:65534', '--', '/s']);
    expect(parseOwnership('stat: cannot statx')).toBeNull();
  });

  it('a stop by PID, and a php-fpm started by its binary', () => {
    expect(killedPid(['kill', '-QUIT', '--', '4242'])).toBe(4242);
    expect(killedPid(['kill', '-QUIT', '--', '1'])).toBeNull();
    expect(killedPid(['service', 'x', 'stop'])).toBeNull();
    expect(fpmConfOf(['/usr/sbin/php-fpm8.2', '--daemonize', '--fpm-config', '/etc/php/8.2/fpm/php-fpm.conf'])).toBe('/etc/php/8.2/fpm/php-fpm.conf');
    expect(fpmConfOf(['service', 'php8.2-fpm', 'start'])).toBeNull();
  });
});
