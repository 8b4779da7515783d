import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findMaster, liveWorkers } from '../../../../src/fixes/apply/reload.js';
import { validateArgv, withConfFile } from '../../../../src/fixes/apply/validate.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/apply/${name}`, import.meta.url), 'utf8');
const ARGS = ['-c', '/tmp/cap/conf/nginx.conf', '-p', '/tmp/cap/', '-g', 'daemon off;'];

describe('testing candidates in place, and the proof of a reload', () => {
  it('the test runs in a private mount namespace with each candidate bound over its file, values as arguments', () => {
    const argv = validateArgv([{ candidate: '/var/lib/badgateway/staging/1/0-app', target: "/etc/nginx/sites-enabled/a'pp" }], ['nginx', '-t']);
    expect(argv.slice(0, 7)).toEqual(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c']);
    expect(argv.slice(8)).toEqual(['sh', '/var/lib/badgateway/staging/1/0-app', "/etc/nginx/sites-enabled/a'pp", '--', 'nginx', '-t']);
    expect(argv[7]).not.toContain('sites-enabled');
    expect(validateArgv([], ['nginx', '-t'])).toEqual(['nginx', '-t']);
  });

  it('a new main file is tested with -c pointing at it, keeping -p and -g', () => {
    expect(withConfFile(['nginx', ...ARGS, '-t'], '/tmp/cap/conf/.nginx.conf.badgateway-1')).toEqual([
      'nginx',
      '-c',
      '/tmp/cap/conf/.nginx.conf.badgateway-1',
      '-p',
      '/tmp/cap/',
      '-g',
      'daemon off;',
      '-t',
    ]);
    expect(withConfFile(['nginx', '-t'], '/etc/nginx/.n')).toEqual(['nginx', '-c', '/etc/nginx/.n', '-t']);
  });

  it('finds the master again by PID, or by its -c/-p/-g when the PID changed', () => {
    const ps = fixture('ps-after-reload.txt');
    expect(findMaster(ps, { masterPid: 1676, args: [] })).toBe(1676);
    expect(findMaster(ps, { masterPid: 99999, args: ARGS })).toBe(1676);
    expect(findMaster(ps, { masterPid: 99999, args: ['-c', '/nowhere'] })).toBeNull();
  });

  it("new workers after the reload; the one shutting down is an old one, and another master's workers do not count", () => {
    expect(liveWorkers(fixture('ps-before-reload.txt'), 1676)).toEqual([1678, 1679]);
    expect(liveWorkers(fixture('ps-after-reload.txt'), 1676)).toEqual([2140, 2141]);
    expect(liveWorkers(fixture('ps-after-reload.txt'), 1651)).toEqual([1652]);
  });
});
