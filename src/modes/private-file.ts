/**
 * The files a session writes for the person (--record, --report): readable by their owner only (they hold a
 * box's config and processes), written whole to a fresh file beside the target and renamed over it. The
 * target's old mode is never kept, a symbolic link there is replaced rather than followed, and a device,
 * pipe or folder of that name is never written into.
 */
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { BadInput, CannotRun } from '../errors.js';

function statOf(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Why `file` cannot be written, judged before the session runs; null when it can be tried. */
function whyNot(file: string): string | null {
  const folder = dirname(resolve(file));
  const dir = statOf(folder);
  if (!dir) return `the folder ${folder} does not exist`;
  if (!dir.isDirectory()) return `${folder} is not a folder`;
  const target = statOf(file);
  if (target && !target.isFile() && !target.isSymbolicLink()) return `${file} is ${target.isDirectory() ? 'a folder' : 'not a regular file (a device, pipe or socket)'}`;
  return null;
}

/**
 * Refuses, before anything runs, a file that could never be written (its folder is missing, or the name is
 * a folder or a device): exit 2, so a typo costs nothing. `option` is how the person named it (--report).
 */
export function checkWritable(option: string, file: string): void {
  let problem: string | null;
  try {
    problem = whyNot(file);
  } catch (error) {
    problem = `${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  if (problem) throw new BadInput(`${option} ${file} cannot be written: ${problem}`);
}

/** Writes `text` (or bytes) to `file`, mode 0600, through a new file in the same folder and a rename; CannotRun (exit 3) when it cannot. */
export function writePrivateFile(file: string, text: string | Uint8Array, what: string): void {
  const folder = dirname(resolve(file));
  const temp = join(folder, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    const problem = whyNot(file);
    if (problem) throw new Error(problem);
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600);
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, file);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    const e = error as NodeJS.ErrnoException;
    throw new CannotRun(`could not write ${what} ${file}: ${e.code ? e.message.split(',')[0] : e.message}`);
  }
}
