import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BadInput, CannotRun } from '../../../src/errors.js';
import { checkWritable, writePrivateFile } from '../../../src/modes/private-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-write-'));
  dirs.push(dir);
  return dir;
}
const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('files written for the person (--record, --report)', () => {
  it('a new file is 0600, whatever the umask allows', () => {
    const file = join(scratch(), 'report.md');
    const umask = process.umask(0o000);
    try {
      writePrivateFile(file, '# report\n', 'the report');
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(file, 'utf8')).toBe('# report\n');
    expect(modeOf(file)).toBe(0o600);
  });

  it('an existing 0644 file is replaced by a 0600 one', () => {
    const file = join(scratch(), 'report.md');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o644);
    writePrivateFile(file, 'new\n', 'the report');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(modeOf(file)).toBe(0o600);
  });

  it('a symbolic link at the target is replaced, never followed: the file it points at is unchanged', () => {
    const dir = scratch();
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep me\n');
    chmodSync(victim, 0o644);
    const file = join(dir, 'recording.json');
    symlinkSync(victim, file);
    writePrivateFile(file, '{}\n', 'the recording');
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(modeOf(victim)).toBe(0o644);
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
    expect(modeOf(file)).toBe(0o600);
  });

  it('a dangling symbolic link is not followed to create its target', () => {
    const dir = scratch();
    const file = join(dir, 'report.md');
    symlinkSync(join(dir, 'elsewhere.md'), file);
    writePrivateFile(file, 'x\n', 'the report');
    expect(readdirSync(dir).sort()).toEqual(['report.md']);
  });

  it('a device, a folder or a missing folder: refused before anything runs (exit 2), and never written', () => {
    const dir = scratch();
    for (const [file, why] of [
      ['/dev/full', '/dev/full is not a regular file (a device, pipe or socket)'],
      ['/dev/null', '/dev/null is not a regular file (a device, pipe or socket)'],
      [dir, `${dir} is a folder`],
      [join(dir, 'none', 'r.md'), `the folder ${join(dir, 'none')} does not exist`],
    ] as const) {
      expect(() => checkWritable('--report', file)).toThrow(BadInput);
      expect(() => checkWritable('--report', file)).toThrow(`--report ${file} cannot be written: ${why}`);
      expect(() => writePrivateFile(file, 'x', 'the report')).toThrow(CannotRun);
    }
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('a folder that goes away while the session runs: CannotRun (exit 3) naming the file and why', () => {
    const dir = scratch();
    const file = join(dir, 'r.md');
    checkWritable('--report', file);
    rmSync(dir, { recursive: true });
    expect(() => writePrivateFile(file, 'x', 'the report')).toThrow(`could not write the report ${file}: the folder ${dir} does not exist`);
  });
});
