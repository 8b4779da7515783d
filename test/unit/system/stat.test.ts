import { describe, expect, it } from 'vitest';
import { missingPaths, missingStat, parseStat, statErrors, unquoteCoreutils } from '../../../src/system/stat.js';
import { fixture } from './fixture.js';

describe('parseStat', () => {
  const stats = parseStat(fixture('stat-socket-dir-file-missing.stdout.txt'));

  it('reads a socket, a directory and regular files', () => {
    expect(stats).toHaveLength(7);
    expect(stats[0]).toEqual({ path: '/tmp/bgcap/run/php/php.sock', exists: true, type: 'socket', owner: 'www-data', group: 'www-data', mode: '660' });
    expect(stats[1]).toEqual({ path: '/tmp/bgcap/run/php', exists: true, type: 'directory', owner: 'root', group: 'root', mode: '755' });
    expect(stats[2]).toMatchObject({ path: '/tmp/bgcap/file.txt', type: 'regular file' });
    expect(stats[4]).toMatchObject({ path: '/tmp/bgcap/empty.txt', type: 'regular empty file' });
  });

  it("keeps a '|' or a space in the name", () => {
    expect(stats[3]).toMatchObject({ path: '/tmp/bgcap/odd|name.txt', owner: 'root', mode: '644' });
    expect(stats[6]).toMatchObject({ path: '/tmp/bgcap/my sock.sock', type: 'socket' });
  });

  it('reports what a symlink points to (-L)', () => {
    expect(stats[5]).toMatchObject({ path: '/tmp/bgcap/php-link.sock', type: 'socket', owner: 'www-data' });
  });

  it('not this: stderr and other output give nothing', () => {
    expect(parseStat(fixture('stat-socket-dir-file-missing.stderr.txt'))).toEqual([]);
    expect(parseStat(fixture('id-www-data.txt'))).toEqual([]);
  });
});

describe('missingPaths and statErrors', () => {
  it('lists missing paths, dangling symlinks included, with coreutils quoting undone', () => {
    expect(missingPaths(fixture('stat-socket-dir-file-missing.stderr.txt'))).toEqual(['/tmp/bgcap/missing.sock', "/tmp/bgcap/it's gone", '/tmp/bgcap/new\nline', '/tmp/bgcap/dangling.sock']);
    expect(missingPaths(fixture('stat-missing-lc-all-c.stderr.txt'))).toEqual(['/tmp/bgcap/missing.sock', "/tmp/bgcap/it's gone"]);
  });

  it('not this: "Not a directory" and "Permission denied" are errors, not missing paths', () => {
    expect(statErrors(fixture('stat-socket-dir-file-missing.stderr.txt')).at(-1)).toEqual({ path: '/tmp/bgcap/file.txt/x', error: 'Not a directory' });
    const denied = fixture('stat-nonroot-permission-denied.stderr.txt');
    expect(missingPaths(denied)).toEqual([]);
    expect(statErrors(denied)).toEqual([{ path: '/tmp/bgcap/priv/open.sock', error: 'Permission denied' }]);
    expect(parseStat(fixture('stat-nonroot-permission-denied.stdout.txt'))).toHaveLength(1);
    expect(missingPaths(fixture('stat-socket-dir-file-missing.stdout.txt'))).toEqual([]);
  });

  it('missingStat describes a path that does not exist', () => {
    expect(missingStat('/x')).toEqual({ path: '/x', exists: false, type: null, owner: null, group: null, mode: null });
  });
});

describe('unquoteCoreutils', () => {
  it('undoes shell-escape quoting', () => {
    expect(unquoteCoreutils("'a b'")).toBe('a b');
    expect(unquoteCoreutils('"it\'s"')).toBe("it's");
    expect(unquoteCoreutils("'a'$'\\t\\033''b'")).toBe('a\t\x1bb');
    expect(unquoteCoreutils('/plain')).toBe('/plain');
  });
});
