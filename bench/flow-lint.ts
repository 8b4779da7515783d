import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, median, timed } from './measure.js';

/**
 * `badgateway lint` on generated flow files of one size and four times that size (both under the 4 MiB a flow
 * file may be), against `badgateway --version` (node starting and loading the CLI). Time beyond that start,
 * large over small: about 4 when lint is linear in the file, about 16 when quadratic. Two shapes: a chain of
 * steps (the shipped flow's shape, long), and one mapping of many keys (what the yaml package's pairwise
 * duplicate-key check made quadratic).
 */
export interface LintSize {
  bytes: number;
  ms: number;
}
export interface LintShape {
  shape: string;
  small: LintSize;
  large: LintSize;
  /** (large - start) / (small - start). */
  ratio: number;
}
export interface FlowLintResult {
  startMs: number;
  shapes: LintShape[];
}

/** A flow of `steps` nginx.find steps in a chain, each branching on to the next, ending healthy. */
function chain(steps: number): string {
  const nodes = Array.from({ length: steps }, (_, i) => {
    const next = i + 1 < steps ? `s${i + 1}` : 'done';
    return `  s${i}:\n    title: Step ${i}\n    why: Step ${i} runs before the next one, as a flow of this length would.\n    check: nginx.find\n    on:\n      running: ${next}\n      not-running: done\n      not-installed: done\n      not-nginx: done\n`;
  });
  return `id: long\ntitle: a long flow\nstart: s0\nnodes:\n${nodes.join('')}  done:\n    title: Done\n    end: healthy\n    why: Every step passed.\n`;
}

/** A one-node flow whose step carries a mapping of `keys` keys (the schema refuses it: lint reports that). */
function wideMapping(keys: number): string {
  const lines = Array.from({ length: keys }, (_, i) => `      k${i}: value ${i}`);
  return `id: wide\ntitle: a wide flow\nstart: done\nnodes:\n  done:\n    title: Done\n    end: healthy\n    why: Nothing to do.\n    extra:\n${lines.join('\n')}\n`;
}

export async function flowLint(options: { reps: number }): Promise<FlowLintResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-bench-lint-'));
  try {
    const time = async (argv: string[]) => {
      const runs: number[] = [];
      for (let i = 0; i < options.reps; i++) runs.push((await timed([process.execPath, cli(), ...argv])).ms);
      return median(runs);
    };
    const startMs = await time(['--version']);
    const shapes: LintShape[] = [];
    for (const [shape, make, unit] of [
      ['chain of steps', chain, 2_800],
      ['one mapping of many keys', wideMapping, 25_000],
    ] as const) {
      const sizes: LintSize[] = [];
      for (const n of [unit, 4 * unit]) {
        const file = join(dir, `${n}.yaml`);
        writeFileSync(file, make(n));
        sizes.push({ bytes: statSync(file).size, ms: await time(['lint', file]) });
      }
      const [small, large] = sizes as [LintSize, LintSize];
      shapes.push({ shape, small, large, ratio: (large.ms - startMs) / Math.max(1, small.ms - startMs) });
    }
    return { startMs, shapes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
