import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CAUSES } from '../../src/causes.js';
import { parseRecording } from '../../src/record/recording.js';
import { runCli } from './lab/badgateway.js';
import { SCENARIOS } from './lab/incidents.js';

const DIR = fileURLToPath(new URL('../../incidents/', import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('the bundled incidents (incidents/, made by scripts/record-incidents.ts)', () => {
  it('each replays to its recorded cause with --json, along the recorded path, with no box at all', async () => {
    expect(FILES.length).toBeGreaterThanOrEqual(20);
    const runs = await Promise.all(
      FILES.map(async (name) => {
        const recording = parseRecording(readFileSync(join(DIR, name), 'utf8'), name);
        const run = await runCli(['--json', '--replay', join(DIR, name)]);
        return { name, recording, run, report: JSON.parse(run.stdout) };
      }),
    );
    for (const { name, recording, run, report } of runs) {
      const expected = SCENARIOS.find((s) => s.id === recording.incident?.id)?.cause;
      expect([name, recording.diagnosis.cause]).toEqual([name, expected]);
      expect([name, report.diagnosis.cause, report.error, run.code]).toEqual([name, expected, null, 1]);
      expect(report.steps.map((s: { node: string; outcome: string }) => `${s.node}:${s.outcome}`)).toEqual(recording.trail.map((s) => `${s.node}:${s.outcome}`));
      // Nothing of the replay came from this box: every step ran on the recorded host.
      expect(report.hosts).toEqual([{ role: 'proxy', label: 'local', replayed: true }]);
    }
  });

  it('practice --list --json: one incident per cause a Debian box can show; SELinux is not one of them', async () => {
    const run = await runCli(['practice', '--list', '--json']);
    expect(run.code).toBe(0);
    const list = JSON.parse(run.stdout) as { id: string; cause: string; title: string }[];
    expect(list.length).toBe(FILES.length);
    for (const item of list) expect(Object.keys(item)).toEqual(['id', 'cause', 'title']);
    expect(new Set(list.map((i) => i.cause))).toEqual(new Set(CAUSES.filter((c) => c !== 'selinux')));
    expect(list.map((i) => i.id).sort()).toEqual(FILES.map((f) => f.replace(/\.json$/, '')));
    const text = await runCli(['practice', '--list']);
    expect(text.stdout).toContain('(no incident for selinux: SELinux cannot run on Debian');
  });

  it('with no terminal, the wizard and practice point at what works without one', async () => {
    const wizard = await runCli([]);
    expect(wizard.code).toBe(2);
    expect(wizard.stderr).toContain('badgateway practice');
    const practice = await runCli(['practice']);
    expect(practice.code).toBe(2);
    expect(practice.stderr).toContain('practice needs a terminal; badgateway practice --list --json lists the incidents');
    const unknown = await runCli(['practice', '--list', '--jsno']);
    expect(unknown.code).toBe(2);
  });
});
