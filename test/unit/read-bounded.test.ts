import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readBounded, UnreadableFile } from '../../src/read-bounded.js';
import { readRecordingFile, RECORDING_SIZE_LIMIT } from '../../src/record/read-recording.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-read-'));
  dirs.push(dir);
  return dir;
}

function refusal(read: () => unknown): UnreadableFile {
  try {
    read();
  } catch (error) {
    if (error instanceof UnreadableFile) return error;
    throw error;
  }
  throw new Error('it was read, but it should not have been');
}

describe('reading a file with a ceiling', () => {
  it('reads a file up to the limit, whole', () => {
    const file = join(scratch(), 'ok.txt');
    writeFileSync(file, 'é'.repeat(50));
    expect(readBounded(file, 100, 'the thing')).toBe('é'.repeat(50));
  });

  it('refuses a file one byte past the limit, saying the limit', () => {
    const file = join(scratch(), 'big.txt');
    writeFileSync(file, 'x'.repeat(101));
    const error = refusal(() => readBounded(file, 100, 'the thing'));
    expect(error.message).toBe(`cannot read the thing ${file}: it is larger than 100 bytes, the most badgateway reads as the thing`);
  });

  it('/dev/zero, which never ends, is refused once it passes the limit, and no more of it is read', () => {
    const before = process.memoryUsage().arrayBuffers;
    const error = refusal(() => readBounded('/dev/zero', 8 * 1024 * 1024, 'the recording'));
    expect(error.problem).toBe('it is larger than 8 MiB, the most badgateway reads as the recording');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a folder or a missing file: the reason, without a stack', () => {
    const dir = scratch();
    expect(refusal(() => readBounded(dir, 100, 'the flow')).problem).toBe('it is a folder');
    expect(refusal(() => readBounded(join(dir, 'none'), 100, 'the flow')).message).toBe(`cannot read the flow ${join(dir, 'none')}: no such file`);
  });

  it('a recording past 32 MiB is refused by its size before it is parsed', () => {
    const file = join(scratch(), 'huge.json');
    writeFileSync(file, `{"format":"badgateway-recording","pad":"${'x'.repeat(RECORDING_SIZE_LIMIT)}"}`);
    expect(refusal(() => readRecordingFile(file)).problem).toBe('it is larger than 32 MiB, the most badgateway reads as the recording');
  });
});
