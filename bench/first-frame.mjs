// First-frame time of the wizard in a real pseudo-terminal, against bare node printing one line,
// measured in the same run. `script` (util-linux) gives the child a terminal.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/badgateway.js', import.meta.url));

function timeToOutput(command, marker) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TERM: 'xterm-256color', COLUMNS: '80', LINES: '24' } });
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${marker} within 10 s`));
    }, 10_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes(marker)) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(ms);
      }
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function firstFrame(runs = 9) {
  const bare = [];
  const wizard = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await timeToOutput(`node -e 'console.log("bare-node-ready")'`, 'bare-node-ready'));
    wizard.push(await timeToOutput(`node ${CLI}`, 'Why now:'));
  }
  return { bareMs: median(bare), wizardMs: median(wizard), ratio: median(wizard) / median(bare) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await firstFrame();
  console.log(`first frame: ${r.wizardMs.toFixed(1)} ms; bare node: ${r.bareMs.toFixed(1)} ms; ratio ${r.ratio.toFixed(2)}x (goal <= 2.6x)`);
}
