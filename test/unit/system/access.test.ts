import { describe, expect, it } from 'vitest';
import { canConnect, parentDirs, parseAccessStat, type AccessEntry } from '../../../src/system/access.js';
import { parseId } from '../../../src/system/id.js';
import { fixture } from './fixture.js';

const user = (name: string) => parseId(fixture(`id-${name}.txt`))!;
const wwwData = user('www-data');
const nobody = user('nobody');
const rootUser = user('root');
const chain = (name: string) => parseAccessStat(fixture(`access-stat-chain-${name}.txt`));

describe('parseAccessStat', () => {
  it('reads numbers and names', () => {
    const php = chain('php-sock');
    expect(php.map((e) => e.path)).toEqual(['/', '/tmp', '/tmp/bgcap', '/tmp/bgcap/run', '/tmp/bgcap/run/php', '/tmp/bgcap/run/php/php.sock']);
    expect(php[1]).toEqual({ path: '/tmp', type: 'directory', uid: 0, gid: 0, mode: '1777', owner: 'root', group: 'root' });
    expect(php[5]).toEqual({ path: '/tmp/bgcap/run/php/php.sock', type: 'socket', uid: 33, gid: 33, mode: '660', owner: 'www-data', group: 'www-data' });
  });

  it('drops UNKNOWN names and keeps the ids', () => {
    expect(chain('unknown-owner-file').at(-1)).toEqual({ path: '/tmp/bgcap/empty.txt', type: 'regular empty file', uid: 4242, gid: 4343, mode: '644' });
  });

  it('not this: the plain stat format (names only) is not read as numbers', () => {
    expect(parseAccessStat(fixture('stat-socket-dir-file-missing.stdout.txt'))).toEqual([]);
  });
});

describe('canConnect', () => {
  it('the socket owner may connect; others may not, and the reason says why', () => {
    expect(canConnect(wwwData, chain('php-sock'))).toEqual({ ok: true });
    expect(canConnect(nobody, chain('php-sock'))).toEqual({
      ok: false,
      blockedBy: '/tmp/bgcap/run/php/php.sock',
      reason: 'nobody is not owner, not in group www-data, and others lack w on /tmp/bgcap/run/php/php.sock (mode 660)',
    });
  });

  it('a directory without x for the user blocks even a 666 socket', () => {
    expect(canConnect(wwwData, chain('priv-dir'))).toEqual({
      ok: false,
      blockedBy: '/tmp/bgcap/priv',
      reason: 'www-data is not owner, not in group root, and others lack x on /tmp/bgcap/priv (mode 700)',
    });
  });

  it('root always may', () => {
    expect(canConnect(rootUser, chain('priv-dir'))).toEqual({ ok: true });
    expect(canConnect(rootUser, chain('php-sock'))).toEqual({ ok: true });
  });

  it('group membership grants the group bits, supplementary groups included', () => {
    expect(canConnect(wwwData, chain('group-sock'))).toEqual({ ok: true });
    expect(canConnect(user('setpriv-unnamed-groups'), chain('group-sock'))).toEqual({ ok: true });
    expect(canConnect(nobody, chain('group-sock'))).toMatchObject({ ok: false, blockedBy: '/tmp/bgcap/my sock.sock' });
  });

  it('exactly one class applies: an owner without w is refused even if others have it', () => {
    const entries: AccessEntry[] = chain('php-sock');
    const socket = { ...entries.at(-1)!, mode: '466' };
    expect(canConnect(wwwData, [...entries.slice(0, -1), socket])).toEqual({
      ok: false,
      blockedBy: '/tmp/bgcap/run/php/php.sock',
      reason: 'www-data is the owner, and the owner lacks w on /tmp/bgcap/run/php/php.sock (mode 466)',
    });
    const groupOnly = { ...chain('group-sock').at(-1)!, mode: '646' };
    expect(canConnect(wwwData, [...chain('group-sock').slice(0, -1), groupOnly])).toEqual({
      ok: false,
      blockedBy: '/tmp/bgcap/my sock.sock',
      reason: 'www-data is not owner; it is in group www-data, but the group lacks w on /tmp/bgcap/my sock.sock (mode 646)',
    });
  });

  it('not this: a regular file is not a socket', () => {
    expect(canConnect(wwwData, chain('unknown-owner-file'))).toEqual({
      ok: false,
      blockedBy: '/tmp/bgcap/empty.txt',
      reason: '/tmp/bgcap/empty.txt is a regular empty file, not a socket',
    });
  });

  it('a parent missing from the chain is reported, not assumed open', () => {
    const entries = chain('php-sock').filter((e) => e.path !== '/tmp/bgcap/run');
    expect(canConnect(wwwData, entries)).toMatchObject({ ok: false, blockedBy: '/tmp/bgcap/run' });
  });
});

describe('parentDirs', () => {
  it('lists / down to the socket directory', () => {
    expect(parentDirs('/run/php/x.sock')).toEqual(['/', '/run', '/run/php']);
    expect(parentDirs('/x.sock')).toEqual(['/']);
    expect(parentDirs('//run//php/x.sock')).toEqual(['/', '/run', '/run/php']);
  });
  it('refuses a relative path', () => {
    expect(() => parentDirs('run/x.sock')).toThrow(RangeError);
  });
});
