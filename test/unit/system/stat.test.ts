import { describe, expect, it } from 'vitest';
import { statErrors, unquoteCoreutils } from '../../../src/system/stat.js';
import { fixture } from './fixture.js';

const MISSING = 'No such file or directory';

describe('statErrors', () => {
  it('reads every path stat could not examine, dangling symlinks included, with coreutils quoting undone', () => {
    const errors = statErrors(fixture('stat-socket-dir-file-missing.stderr.txt'));
    expect(errors.filter((e) => e.error === MISSING).map((e) => e.path)).toEqual(['/tmp/bgcap/missing.sock', "/tmp/bgcap/it's gone", '/tmp/bgcap/new\nline', '/tmp/bgcap/dangling.sock']);
    expect(statErrors(fixture('stat-missing-lc-all-c.stderr.txt')).map((e) => e.path)).toEqual(['/tmp/bgcap/missing.sock', "/tmp/bgcap/it's gone"]);
  });

  it('keeps the system\'s words: "Not a directory" and "Permission denied" are not "missing"', () => {
    expect(statErrors(fixture('stat-socket-dir-file-missing.stderr.txt')).at(-1)).toEqual({ path: '/tmp/bgcap/file.txt/x', error: 'Not a directory' });
    expect(statErrors(fixture('stat-nonroot-permission-denied.stderr.txt'))).toEqual([{ path: '/tmp/bgcap/priv/open.sock', error: 'Permission denied' }]);
  });

  it('not this: what stat prints on stdout is no error', () => {
    expect(statErrors(fixture('stat-socket-dir-file-missing.stdout.txt'))).toEqual([]);
    expect(statErrors(fixture('stat-nonroot-permission-denied.stdout.txt'))).toEqual([]);
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
