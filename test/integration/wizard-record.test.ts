import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/record/recording.js';
import { stateDir } from './lab/apply.js';
import { CLI, runCli } from './lab/badgateway.js';
import { newLab, scenario } from './lab/incidents.js';
import { labScope } from './lab/scope.js';
import { killTree } from './lab/sshd.js';

const lab = labScope();
const KEY = { down: '\u001B[B', enter: '\r' } as const;

/** The real CLI in a real pseudo-terminal (script(1)), driven by keys once the screen shows a text. */
function inTerminal(args: string[], env: NodeJS.ProcessEnv = {}) {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, COLUMNS: '120', LINES: '40', ...env } });
  let screen = '';
  child.stdout.on('data', (d) => (screen += String(d).replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  lab.later(() => {
    if (child.exitCode === null && child.pid) killTree(child.pid);
  });
  return {
    exited,
    screen: () => screen,
    async waitFor(text: string, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!screen.includes(text)) {
        if (Date.now() > deadline) throw new Error(`the screen never showed "${text}":\n${screen.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // ink-select-input binds its keys in an effect after the frame.
      await new Promise((r) => setTimeout(r, 150));
    },
    /** Moves the menu's cursor down until it is on `label` (bounded), then picks it. */
    async choose(label: string): Promise<void> {
      for (let moves = 0; moves < 8; moves++) {
        const at = screen.lastIndexOf('❯');
        if (
          at >= 0 &&
          screen
            .slice(at, at + 200)
            .replace(/\s+/g, ' ')
            .startsWith(`❯ ${label}`)
        )
          break;
        screen = '';
        child.stdin.write(KEY.down);
        await new Promise((r) => setTimeout(r, 300));
      }
      child.stdin.write(KEY.enter);
      await new Promise((r) => setTimeout(r, 150));
    },
    /** Keys one at a time: a terminal sends each as its own write, and ink reads them so. */
    async press(...keys: string[]): Promise<void> {
      for (const key of keys) {
        child.stdin.write(key);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    mark: () => (screen = ''),
  };
}

describe('the wizard in a real terminal, recording and reporting', () => {
  it('--record and --report from the wizard; --replay walks the recording in the wizard again', async () => {
    const setup = newLab();
    lab.later(() => setup.cleanup());
    const broken = await scenario('reports-redeploy').setup(setup);
    const dir = lab.scratchDir('bgw-wizard-rec-');
    const file = join(dir, 'session.json');
    const md = join(dir, 'session.md');

    const live = inTerminal(['--url', broken.url, '--record', file, '--report', md]);
    await live.waitFor('Run the remaining steps');
    await live.choose('Run the remaining steps');
    // The wizard asks which listener is the backend: the person picks the one it found (the first).
    await live.waitFor('Which of these is the backend nginx should reach?');
    await live.press(KEY.enter);
    await live.waitFor('Show the result');
    live.mark();
    await live.press(KEY.enter);
    await live.waitFor('Cause: wrong-port');
    await live.choose('Quit');
    expect(await live.exited).toBe(1);

    const recording = parseRecording(readFileSync(file, 'utf8'));
    expect(recording.diagnosis.cause).toBe('wrong-port');
    // The person's answer is part of the path.
    expect(recording.trail.at(-1)).toMatchObject({ node: 'backend-listening', outcome: 'other-port', next: 'fix-wrong-port', answer: { outcome: 'other-port' } });
    expect(readFileSync(md, 'utf8')).toContain('- **Cause:** `wrong-port`');
    // --json replays the person's answer too.
    const replayed = await runCli(['--json', '--replay', file]);
    expect(JSON.parse(replayed.stdout).steps.at(-1)).toMatchObject({ node: 'backend-listening', outcome: 'other-port', answered: true });

    await setup.cleanup();
    const again = inTerminal(['--replay', file]);
    await again.waitFor('Run the remaining steps');
    await again.choose('Run the remaining steps');
    await again.waitFor('Which of these is the backend nginx should reach?');
    await again.press(KEY.enter);
    await again.waitFor('Show the result');
    again.mark();
    await again.press(KEY.enter);
    await again.waitFor('Cause: wrong-port');
    await again.choose('Quit');
    expect(await again.exited).toBe(1);
  }, 90_000);

  it('a fix applied from the wizard: the --report says it was applied and verified, and the exit is 0', async () => {
    const setup = newLab();
    lab.later(() => setup.cleanup());
    const broken = await scenario('reports-redeploy').setup(setup);
    const md = join(lab.scratchDir('bgw-wizard-apply-'), 'session.md');
    const live = inTerminal(['--url', broken.url, '--report', md], { BADGATEWAY_STATE_DIR: stateDir((c) => lab.later(c)) });
    await live.waitFor('Run the remaining steps');
    await live.choose('Run the remaining steps');
    await live.waitFor('Which of these is the backend nginx should reach?');
    await live.press(KEY.enter);
    await live.waitFor('Show the result');
    live.mark();
    await live.press(KEY.enter);
    await live.waitFor('Apply this fix');
    await live.choose('Apply this fix');
    await live.waitFor('Yes: apply it now');
    await live.choose('Yes: apply it now');
    await live.waitFor('Fixed and verified', 60_000);
    await live.choose('Quit');
    expect(await live.exited).toBe(0);
    const report = readFileSync(md, 'utf8');
    expect(report).toContain('**Applied:** yes');
    expect(report).not.toContain('Not applied by badgateway');
  }, 120_000);

  it('badgateway practice in a real terminal: an incident from the command line, up to the first prediction', async () => {
    const practice = inTerminal(['practice', 'orders-api']);
    await practice.waitFor('What will this check find?');
    expect(practice.screen()).toContain('The orders API answers 502 on every request');
    await practice.press(KEY.enter);
    await practice.waitFor('Guide:');
    expect(practice.screen()).toMatch(/score [01]\/1/);
    await practice.choose('Quit practice');
    expect(await practice.exited).toBe(0);
  }, 60_000);
});
