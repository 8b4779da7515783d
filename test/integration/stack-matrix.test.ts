import { describe, expect, it } from 'vitest';
import { answer } from './lab/apply.js';
import { CELLS, cellName, cellUrl, expectCell } from './lab/stack-matrix-cells.js';
import { BOX_STATE, pathOf, stackScope } from './lab/stack-run.js';

const { use, inBox } = stackScope();

describe('the stack × cause matrix, badgateway on the box: each stack broken for real, nginx’s own line, cause and fix; automatic fixes applied and verified', () => {
  for (const cell of CELLS) {
    it(cellName(cell), async () => {
      const stack = await use(cell.start());
      await cell.brk?.(stack);
      const url = cellUrl(cell, stack);
      const { report } = await inBox(stack, ['--json', '--url', url]);
      expectCell(cell, stack, report, pathOf(report));
      if (!cell.apply) return;
      const applied = await inBox(stack, ['--json', '--apply', '--yes', '--url', url], BOX_STATE);
      expect(applied.report.fix, JSON.stringify(applied.report.fix)).toMatchObject({ applied: true, verified: true });
      expect((await answer(url, stack.box.exec)).status).toBe(200);
    }, 150_000);
  }
});
