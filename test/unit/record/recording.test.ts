import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readRecordingFile } from '../../../src/record/read-recording.js';
import { parseRecording, RecordingError } from '../../../src/record/recording.js';
import { replayHosts } from '../../../src/record/replay.js';

const INCIDENT = fileURLToPath(new URL('../../../incidents/account-page.json', import.meta.url));

/** A real recorded incident, changed by `edit`, as text. */
function edited(edit: (recording: { hosts: { role: string; label: string }[]; commands: Record<string, unknown[]> }) => void): string {
  const recording = JSON.parse(readFileSync(INCIDENT, 'utf8'));
  edit(recording);
  return JSON.stringify(recording);
}

function refusal(text: string): RecordingError {
  try {
    parseRecording(text, 'r.json');
  } catch (error) {
    if (error instanceof RecordingError) return error;
    throw error;
  }
  throw new Error('the recording was read, but it should not have been');
}

describe('reading a recording', () => {
  it('reads a real incident, and replays it with its proxy host', () => {
    const recording = parseRecording(readFileSync(INCIDENT, 'utf8'), INCIDENT);
    expect(replayHosts(recording).members.map((m) => m.role)).toEqual(['proxy']);
  });

  // JSON.parse keeps "__proto__" as a key; a lookup by such a role would find what every object inherits.
  for (const role of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`refuses a host whose role is ${role}, beside the proxy or instead of it`, () => {
      const beside = refusal(
        edited((r) => {
          r.hosts.push({ role, label: 'x' });
        }),
      );
      expect(beside.message).toMatch(/^r\.json is damaged: hosts\.1\.role: /);
      expect(beside.message).toContain(JSON.stringify(role));
      const instead = refusal(
        edited((r) => {
          r.hosts = [{ role, label: 'local' }];
          r.commands = { [role]: r.commands.proxy ?? [] };
        }),
      );
      expect(instead.message).toMatch(/(hosts\.0\.role|commands): .*cannot name a host/);
    });
  }

  it('refuses commands filed under a prototype name, even with no host of that role', () => {
    const text = edited(() => {}).replace('"commands":{', '"commands":{"__proto__":[],');
    expect(refusal(text).message).toBe('r.json is damaged: commands: the role "__proto__" cannot name a host: a role is a word: a letter, then letters, digits, - or _');
    const constructorKey = edited(() => {}).replace('"commands":{', '"commands":{"constructor":[],');
    expect(refusal(constructorKey).message).toBe('r.json is damaged: commands: the role "constructor" cannot name a host: constructor is a reserved name');
  });

  it('refuses JSON nested thousands of levels deep inside a host, before anything recurses into it', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = edited(() => {}).replace('"label":"local"', `"label":"local","extra":${deep}`);
    expect(refusal(text).message).toBe('r.json is damaged: its JSON nests deeper than 32 levels, which no recording does');
  });

  it('refuses a recording with no proxy host, and one with a role twice', () => {
    const noProxy = refusal(
      edited((r) => {
        r.hosts = [{ role: 'web', label: 'local' }];
        r.commands = { web: r.commands.proxy ?? [] };
      }),
    );
    expect(noProxy.message).toBe('r.json is damaged: hosts: no host has the role proxy (the box where nginx runs)');
    const twice = refusal(edited((r) => r.hosts.push({ role: 'proxy', label: 'again' })));
    expect(twice.message).toContain('the role proxy is given to two hosts');
  });

  it('a recorded request --url would refuse makes the file damaged (exit 2, not a usage error)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-recording-'));
    try {
      for (const [url, why] of [
        ['not a url', 'not a URL: not a url'],
        ['ftp://x/', 'only http:// and https:// URLs'],
      ]) {
        const file = join(dir, 'r.json');
        writeFileSync(
          file,
          edited((r) => {
            (r as unknown as { inputs: { url: string } }).inputs.url = url as string;
          }),
        );
        const error = (() => {
          try {
            readRecordingFile(file);
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(RecordingError);
        expect((error as Error).message).toContain(`${file} is damaged: inputs.url: ${why}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a gzipped recording (the incidents the package ships) reads as the JSON does, bounded after unpacking too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-recording-'));
    try {
      const packed = join(dir, 'account-page.json.gz');
      writeFileSync(packed, gzipSync(readFileSync(INCIDENT)));
      expect(readRecordingFile(packed)).toEqual(readRecordingFile(INCIDENT));
      // Small on disk, larger than the ceiling once unpacked: refused before it is all in memory.
      expect(() => readRecordingFile(packed, 10_000)).toThrow(/it unpacks to more than 10000 bytes/);
      writeFileSync(packed, readFileSync(INCIDENT));
      expect(() => readRecordingFile(packed)).toThrow(/cannot read the recording .*account-page\.json\.gz: it is not gzip/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
