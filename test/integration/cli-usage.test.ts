import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './lab/badgateway.js';
import { labScope } from './lab/scope.js';

const lab = labScope();

describe('the real CLI on bad input', () => {
  it('a broken flow file: exit 2, naming the file and line and what is wrong', async () => {
    const file = join(lab.scratchDir('bgw-bad-flow-'), 'bad.yaml');
    writeFileSync(file, 'id: bad\ntitle: Bad\nstart: first\nnodes:\n  first:\n    kind: step\n    title: x\n    why: y\n    check: no.such.check\n    on: {}\n');
    const run = await runCli(['--json', '--flow', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`));
    expect(run.stdout).toBe('');
  });

  it('a flag with no value, or an unknown one: exit 2 with the usage', async () => {
    for (const argv of [['--ssh', '--json'], ['--frobnicate']]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr, argv.join(' ')).toContain('Usage:');
    }
  });
});
