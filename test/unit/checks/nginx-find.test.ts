import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxFind } from '../../../src/checks/nginx-find.js';
import type { CommandResult } from '../../../src/hosts/host.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/system/${name}`, import.meta.url), 'utf8');
const PS = fixture('ps-nginx-phpfpm-python.txt');
const SS = fixture('ss-python-tcp-unix-nginx.txt');
const V = fixture('nginx-V-debian-1.22.stderr.txt');

const ran = (argv: string[], stdout: string, rest: Partial<CommandResult> = {}): CommandResult => ({ argv, stdout, stderr: '', code: 0, ms: 1, ...rest });

function results(ps: string, version: CommandResult, cgroup = '0::/user.slice/session-1.scope\n'): CommandResult[] {
  return [ran(['ps', '-eo', 'pid=,ppid=,user:32=,args='], ps), ran(['ss', '-Hltnxp'], SS), version, ran(['cat', '/proc/1/cgroup'], cgroup)];
}

describe('nginx.find', () => {
  it('picks the master that serves the failing URL, with the -c/-p/-g it was started with', () => {
    const result = nginxFind.interpret({ 'request.url': 'http://127.0.0.1:38111/' }, results(PS, ran(['nginx', '-V'], '', { stderr: V })));
    expect(result.outcome).toBe('running');
    expect(result.facts['nginx.masterPid']).toBe(11281);
    expect(result.facts['nginx.confPath']).toBe('/tmp/bgcap/nginx2.conf');
    expect(result.facts['nginx.version']).toBe('1.22.1');
    expect(result.facts['nginx.reload']).toEqual(['nginx', ...(result.facts['nginx.args'] ?? []), '-s', 'reload']);
  });

  it('reloads through systemd when the master runs in a systemd unit', () => {
    const result = nginxFind.interpret({ 'request.url': 'http://127.0.0.1:38110/' }, results(PS, ran(['/usr/sbin/nginx', '-V'], '', { stderr: V }), '0::/system.slice/nginx.service\n'));
    expect(result.facts['nginx.masterPid']).toBe(11276);
    expect(result.facts['nginx.reload']).toEqual(['systemctl', 'reload', 'nginx']);
  });

  it('says nginx is not installed when there is no master and no nginx binary', () => {
    const noNginx = PS.split('\n')
      .filter((line) => !line.includes('nginx'))
      .join('\n');
    const result = nginxFind.interpret({}, results(noNginx, { argv: ['nginx', '-V'], stdout: '', stderr: '', code: null, ms: 1, failure: 'not-found' }));
    expect(result.outcome).toBe('not-installed');
  });

  it('not this: a python server on the URL port is not nginx', () => {
    const result = nginxFind.interpret({ 'request.url': 'http://127.0.0.1:38101/' }, results(PS, ran(['nginx', '-V'], '', { stderr: V })));
    expect(result.outcome).toBe('not-nginx');
    expect(result.summary).toContain('python3');
  });
});
