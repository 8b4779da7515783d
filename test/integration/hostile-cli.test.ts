import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstRawControl, HOSTILE } from '../hostile.js';
import { runCli } from './lab/badgateway.js';
import { labScope } from './lab/scope.js';

/**
 * Issue 16: the real CLI given hostile values from the command line, a flow file and a recording. Whatever
 * it prints (stderr, the --json on stdout, the Markdown report) carries no terminal control raw.
 */
const lab = labScope();
/** An argument cannot hold a NUL: the rest of the hostile text. */
const ARG = HOSTILE.replace(/\x00/g, '');

/** Tab and newline are layout; anything else a terminal acts on fails, named with where it is. */
const clean = (text: string) => firstRawControl(text.replace(/[\t\n]/g, ' '));

/** A bundled incident with the hostile text in every command's output, in a process name and in the host's label. */
function hostileRecording(dir: string): string {
  const recording = JSON.parse(readFileSync('incidents/backend-moved.json', 'utf8'));
  recording.hosts[0].label = `local${HOSTILE}`;
  recording.notes = [HOSTILE];
  for (const runs of Object.values(recording.commands) as { stdout: string; stderr: string }[][]) {
    for (const run of runs) {
      run.stdout = `${run.stdout.replaceAll('python3', `python3${HOSTILE.replace(/\s/g, '')}`)}${HOSTILE}\n`;
      run.stderr = `${run.stderr}${HOSTILE}`;
    }
  }
  const file = join(dir, 'hostile.json');
  writeFileSync(file, JSON.stringify(recording));
  return file;
}

describe('the real CLI keeps hostile text off the terminal', () => {
  it('a hostile --url: the error on stderr is clean', async () => {
    const run = await runCli(['--json', '--url', `http://exa mple/${ARG}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^badgateway: /);
    expect(clean(run.stderr)).toBeNull();
  });

  it('a hostile --ssh target: the error on stderr is clean', async () => {
    const run = await runCli(['--json', '--ssh', `us\x1b]0;x\x07er@${ARG}`, '--url', 'http://127.0.0.1/']);
    expect(run.code).not.toBe(0);
    expect(clean(run.stderr)).toBeNull();
  });

  it('a flow file with hostile names: the lint errors on stderr are clean', async () => {
    const file = join(lab.scratchDir('bgw-hostile-flow-'), 'bad.yaml');
    const q = JSON.stringify(HOSTILE).slice(1, -1);
    writeFileSync(file, `id: bad\ntitle: "${q}"\nstart: first\nnodes:\n  first:\n    title: "${q}"\n    why: y\n    check: "no.such.check${q}"\n    on: {}\n`);
    for (const argv of [
      ['--json', '--flow', file],
      ['lint', file],
    ]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr, argv.join(' ')).toContain('no.such.check');
      expect(clean(run.stderr), argv.join(' ')).toBeNull();
    }
  });

  it('a recording with hostile output everywhere: stderr, the --json and the Markdown report are clean', async () => {
    const dir = lab.scratchDir('bgw-hostile-rec-');
    const report = join(dir, 'report.md');
    const run = await runCli(['--json', '--replay', hostileRecording(dir), '--report', report]);
    expect(run.stdout).toContain('"diagnosis"');
    expect(JSON.stringify(JSON.parse(run.stdout))).toContain('evil');
    expect(clean(run.stdout)).toBeNull();
    expect(clean(run.stderr)).toBeNull();
    const markdown = readFileSync(report, 'utf8');
    expect(markdown).toContain('evil');
    expect(clean(markdown)).toBeNull();
    expect(markdown).not.toContain('](https://evil.example');
  });

  it('a recording of an unknown version naming hostile text: the refusal on stderr is clean', async () => {
    const dir = lab.scratchDir('bgw-hostile-ver-');
    const file = join(dir, 'v.json');
    writeFileSync(file, JSON.stringify({ format: 'badgateway-recording', version: HOSTILE, badgateway: HOSTILE }));
    const run = await runCli(['--json', '--replay', file]);
    expect(run.code).not.toBe(0);
    expect(clean(run.stderr)).toBeNull();
  });
});
