import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from './lab/badgateway.js';
import { killTree } from './lab/sshd.js';
import { labScope } from './lab/scope.js';

const lab = labScope();

/** Everything the real wizard writes to a real pseudo-terminal (script(1)) until `done` says enough. */
function terminalBytes(args: string[], done: (output: string) => boolean, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm-256color', COLUMNS: '80', LINES: '24', ...env } });
  const stop = () => {
    if (child.pid) killTree(child.pid);
  };
  lab.later(stop);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the wizard never drew what was awaited; it wrote:\n${JSON.stringify(output.slice(-1500))}`));
    }, 20_000);
    child.stdout.on('data', (d) => {
      output += String(d);
      if (!done(output)) return;
      clearTimeout(timer);
      stop();
      resolve(output);
    });
  });
}

const ESC = '\u001B';

describe("the wizard's first frame", () => {
  it('is drawn first, in plain text, and Ink starts by erasing exactly its rows', async () => {
    const inkDrew = (o: string) => o.split('Why now:').length > 2;
    const output = await terminalBytes([], inkDrew, { NO_COLOR: '1' });
    const erase = new RegExp(`${ESC}\\[(\\d+)A\\r${ESC}\\[J`).exec(output);
    expect(erase, JSON.stringify(output.slice(0, 600))).not.toBeNull();
    const early = output.slice(0, erase?.index);
    // The early frame: the header, the first step's title and why, the status; one terminal row per line.
    expect(early).toMatch(/^badgateway · nginx answers 502 Bad Gateway · local\r\n\r\nFind the nginx that answers\r\nWhy now: /);
    expect(early).toContain('⠋ checking…');
    expect(early).not.toContain(ESC);
    expect(Number(erase?.[1])).toBe(early.split('\r\n').length - 1);
    // Ink's own frame follows, with the same heading.
    const ink = output.slice((erase?.index ?? 0) + (erase?.[0].length ?? 0)).replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');
    expect(ink).toContain('Find the nginx that answers');
    expect(ink).toContain('Why now: Before reading any file');
  });

  it('says it is connecting when the wizard has hosts to reach first', async () => {
    const output = await terminalBytes(['--ssh', 'root@127.0.0.1:1'], (o) => o.includes('connecting to'), { NO_COLOR: '1' });
    expect(output).toMatch(/^badgateway · nginx answers 502 Bad Gateway · root@127\.0\.0\.1:1\r\n/);
    expect(output).toContain('⠋ connecting to root@127.0.0.1:1…');
  });
});
