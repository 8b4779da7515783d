import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOT_RECORDED, ReplayHost } from '../../../src/hosts/replay-host.js';
import { parseRecording, RecordingError, type RecordedCommand } from '../../../src/record/recording.js';
import { replayHosts } from '../../../src/record/replay.js';

const INCIDENT = new URL('../../../incidents/orders-api.json', import.meta.url);

function recorded(seq: number, argv: string[], stdout: string, extra: Partial<RecordedCommand> = {}): RecordedCommand {
  return { seq, at: seq, argv, stdout, stderr: '', code: 0, ms: 3, ...extra };
}

describe('ReplayHost', () => {
  it('gives the N-th run of a command the N-th recorded result, and starts over when run again', async () => {
    const host = new ReplayHost('local', [recorded(0, ['stat', '-c', '%s', 'log'], '10\n'), recorded(1, ['ss', '-Hltn'], 'x\n'), recorded(2, ['stat', '-c', '%s', 'log'], '250\n')]);
    const stat = { argv: ['stat', '-c', '%s', 'log'] };
    expect((await host.run(stat)).stdout).toBe('10\n');
    expect((await host.run(stat)).stdout).toBe('250\n');
    // A step run again (the wizard's Back) sees what it saw the first time.
    expect((await host.run(stat)).stdout).toBe('10\n');
    expect((await host.run(stat)).stdout).toBe('250\n');
  });

  it('matches stdin too, and keeps exit codes, failures and times', async () => {
    const host = new ReplayHost('root@web1', [recorded(0, ['cat'], 'one', { stdin: 'a' }), recorded(1, ['cat'], 'two', { stdin: 'b', code: null, failure: 'timeout', ms: 900 })]);
    expect(await host.run({ argv: ['cat'], stdin: 'b' })).toEqual({ argv: ['cat'], stdout: 'two', stderr: '', code: null, ms: 900, failure: 'timeout' });
    expect((await host.run({ argv: ['cat'], stdin: 'a' })).stdout).toBe('one');
    expect((await host.run({ argv: ['cat'] })).failure).toBe(NOT_RECORDED);
  });

  it('a command the recording lacks fails with not-recorded, saying which host', async () => {
    const host = new ReplayHost('proxy-box', []);
    const run = await host.run({ argv: ['nginx', '-T'] });
    expect(run).toMatchObject({ code: null, failure: NOT_RECORDED, argv: ['nginx', '-T'] });
    expect(run.stderr).toContain('proxy-box');
  });

  it('finds a command whose recorded argv was redacted', async () => {
    const host = new ReplayHost('local', [recorded(0, ['curl', '-H', 'Authorization: [redacted]'], 'ok')]);
    expect((await host.run({ argv: ['curl', '-H', 'Authorization: Bearer abc'] })).stdout).toBe('ok');
  });
});

describe('recordings', () => {
  it('a bundled incident parses and its hosts keep their recorded roles', () => {
    const recording = parseRecording(readFileSync(INCIDENT, 'utf8'));
    expect(recording.version).toBe(1);
    expect(recording.incident?.id).toBe('orders-api');
    const hosts = replayHosts(recording);
    expect(hosts.members.map((m) => [m.role, m.host.label])).toEqual(recording.hosts.map((h) => [h.role, h.label]));
  });

  it('refuses what it cannot replay, saying why', () => {
    expect(() => parseRecording('{', 'x.json')).toThrow(/x.json is not JSON/);
    expect(() => parseRecording('{"a":1}', 'x.json')).toThrow(/not a badgateway recording/);
    const text = readFileSync(INCIDENT, 'utf8');
    expect(() => parseRecording(text.replace('"version": 1', '"version": 9'))).toThrow(/format version 9; this badgateway reads version 1/);
    expect(() => parseRecording(text.replace('"trail": [', '"trail": 3, "x": ['))).toThrow(RecordingError);
  });
});
