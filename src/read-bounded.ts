/**
 * Reading a file a person names (a recording, a flow) with a ceiling on its size: a file past the ceiling is
 * refused with a clear error before it is read into memory, whatever it is (/dev/zero, a pipe, a huge file).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BadInput } from './errors.js';

/** A file that cannot be read, or is too big to be: exit 2. `problem` says why, without the file's name. */
export class UnreadableFile extends BadInput {
  constructor(
    readonly what: string,
    readonly file: string,
    readonly problem: string,
  ) {
    super(`cannot read ${what} ${file}: ${problem}`);
  }
}

/** A size as a person reads it: 32 MiB, 4 MiB; small ones in bytes. */
export function sizeText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}

/** The text of `file`, read in chunks and never more than `limit` bytes; `what` names it in errors ("the recording"). */
export function readBounded(file: string, limit: number, what: string): string {
  return readBoundedBytes(file, limit, what).toString('utf8');
}

/** readBounded() as bytes. */
export function readBoundedBytes(file: string, limit: number, what: string): Buffer {
  const fail = (problem: string) => new UnreadableFile(what, file, problem);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw fail(reason(error));
  }
  const tooBig = () => fail(`it is larger than ${sizeText(limit)}, the most badgateway reads as ${what}`);
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw fail('it is a folder');
    if (stat.isFile() && stat.size > limit) throw tooBig();
    // A device or a pipe has no size to trust: read at most one byte past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (total > limit) throw tooBig();
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    throw fail(reason(error));
  } finally {
    closeSync(fd);
  }
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a folder', ELOOP: 'too many symbolic links' };
  return (e.code && known[e.code]) ?? e.message;
}
