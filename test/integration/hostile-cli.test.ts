import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstRawControl, HOSTILE } from '../hostile.js';
import { CLI, runCli } from './lab/badgateway.js';
import { killTree } from './lab/sshd.js';
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

/**
 * The wizard on a real pseudo-terminal (script(1)), over the hostile recording: Enter walks it step by step
 * to the fix. Ink draws with CSI sequences of its own (cursor moves, erasing, SGR); everything else a
 * terminal acts on (OSC, DCS, APC, PM, SOS, C1, BEL, NUL, bidi) and the recording's own CSI must not arrive.
 */
function wizardOnTerminal(args: string[], until: (output: string) => boolean): Promise<string> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm-256color', COLUMNS: '100', LINES: '40', NO_COLOR: '1' } });
  const stop = () => {
    if (child.pid) killTree(child.pid);
  };
  lab.later(stop);
  let output = '';
  const enter = setInterval(() => child.stdin.write('\r'), 400);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(enter);
      stop();
      reject(new Error(`the wizard never reached the end; it wrote:\n${JSON.stringify(output.slice(-1500))}`));
    }, 40_000);
    child.stdout.on('data', (d) => {
      output += String(d);
      if (!until(output)) return;
      clearInterval(enter);
      clearTimeout(timer);
      setTimeout(() => {
        stop();
        resolve(output);
      }, 300);
    });
  });
}

describe('the wizard on a real terminal, over a hostile recording', () => {
  it('walks to the fix; no byte of the recording acts on the terminal', async () => {
    const dir = lab.scratchDir('bgw-hostile-pty-');
    const output = await wizardOnTerminal(['--replay', hostileRecording(dir)], (o) => o.includes('Cause: '));
    expect(output).toContain('evil');
    // Ink's own drawing: CSI with numeric parameters (cursor, erase, SGR, show/hide cursor).
    const withoutInk = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(clean(withoutInk.replace(/\r/g, ''))).toBeNull();
    // The recording's own CSI (a combined SGR, a cursor report) is not among Ink's.
    expect(output).not.toContain('\x1b[31;1m');
    expect(output).not.toContain('6n');
  });
});
