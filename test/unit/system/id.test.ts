import { describe, expect, it } from 'vitest';
import { idUnknownUser, parseId } from '../../../src/system/id.js';
import { fixture } from './fixture.js';

describe('parseId', () => {
  it('reads a service user', () => {
    expect(parseId(fixture('id-www-data.txt'))).toEqual({ uid: 33, gid: 33, name: 'www-data', gids: [33], groups: ['www-data'] });
    expect(parseId(fixture('id-nobody.txt'))).toEqual({ uid: 65534, gid: 65534, name: 'nobody', gids: [65534], groups: ['nogroup'] });
    expect(parseId(fixture('id-root.txt'))).toEqual({ uid: 0, gid: 0, name: 'root', gids: [0], groups: ['root'] });
  });

  it('reads supplementary groups', () => {
    expect(parseId(fixture('id-postgres.txt'))).toEqual({ uid: 101, gid: 104, name: 'postgres', gids: [104, 103], groups: ['postgres', 'ssl-cert'] });
  });

  it('gives a group without a name as its number', () => {
    expect(parseId(fixture('id-setpriv-unnamed-groups.txt'))).toEqual({
      uid: 33,
      gid: 33,
      name: 'www-data',
      gids: [33, 4242, 4343],
      groups: ['www-data', '4242', '4343'],
    });
  });

  it('not this: an unknown user prints nothing on stdout', () => {
    expect(parseId('')).toBeNull();
    expect(parseId(fixture('id-unknown-user.stderr.txt'))).toBeNull();
  });
});

describe('idUnknownUser', () => {
  it('reads the user name whatever the locale quotes', () => {
    expect(idUnknownUser(fixture('id-unknown-user.stderr.txt'))).toBe('nosuchuser');
    expect(idUnknownUser(fixture('id-unknown-user-lc-all-c.stderr.txt'))).toBe('nosuchuser');
  });
  it('not this: a successful id', () => {
    expect(idUnknownUser(fixture('id-www-data.txt'))).toBeNull();
  });
});
