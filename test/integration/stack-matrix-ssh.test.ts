import { describe, expect, it } from 'vitest';
import { answer } from './lab/apply.js';
import { CELLS, cellName, cellUrl, expectCell } from './lab/stack-matrix-cells.js';
import { pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';

// The boxes are removed after the sshd and its client (afterEach hooks run in reverse order of registration).
const { use } = stackScope();
const { overSsh } = sshScope();

describe('the stack × cause matrix over --ssh: everything badgateway learns of the box comes over SSH; automatic fixes applied and verified', () => {
  for (const cell of CELLS) {
    it(cellName(cell), async () => {
      const stack = await use(cell.start());
      await cell.brk?.(stack);
      const url = cellUrl(cell, stack);
      const { report } = await overSsh(stack, ['--url', url]);
      expectCell(cell, stack, report, pathOf(report));
      if (!cell.apply) return;
      const applied = await overSsh(stack, ['--apply', '--yes', '--url', url]);
      expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
      expect((await answer(url, stack.box.exec)).status).toBe(200);
    }, 180_000);
  }
});
