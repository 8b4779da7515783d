import { writeFileSync } from 'node:fs';
import { runCli } from './test/integration/lab/badgateway.js';
import * as past from './test/integration/lab/history-situations.js';

const which = process.argv[2] ?? 'listenQueueOverflow';
const stack = await (past as unknown as Record<string, () => Promise<{ box: { exec: (a: string[]) => string[]; read: (p: string) => string; remove: () => Promise<void> }; statuses: string[] }>>)[which]!();
try {
  const run = await runCli(['--json', '--record', '/run/rec.json', '--report', '/run/report.md'], { wrap: stack.box.exec });
  writeFileSync(`/tmp/h15b/${which}.json`, stack.box.read('/run/rec.json'));
  writeFileSync(`/tmp/h15b/${which}.md`, stack.box.read('/run/report.md'));
  writeFileSync(`/tmp/h15b/${which}.out.json`, run.stdout);
  console.log('statuses', stack.statuses.join(' '), 'exit', run.code);
} finally {
  await stack.box.remove();
}
