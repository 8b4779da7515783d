import { spawnSync } from 'node:child_process';
import { commandLine } from '../shell/quote.js';
import type { Box } from './box.js';
import { statusOf, waitForStatus } from './open-scenario.js';
import { OTHER_SITE } from './other-site.js';
import type { Findings } from './verdict.js';

function inBox(box: Box, argv: string[]): { ok: boolean; said: string } {
  const full = box.exec(argv);
  const done = spawnSync(full[0] as string, full.slice(1), { encoding: 'utf8', timeout: 60_000 });
  return { ok: done.status === 0, said: `${done.stdout ?? ''}${done.stderr ?? ''}`.trim() };
}

/**
 * Checks the box for real after the trainee says "done": the failing request through nginx, nginx -t, the
 * other site, and then durability: the stack restarted the way it starts on a real box, nginx reloaded, and
 * the request asked again (bounded: 30 tries, half a second apart, while the backend comes up).
 */
export async function inspect(box: Box, url: string, restart: readonly string[][]): Promise<Findings> {
  const status = statusOf(box, url);
  const test = inBox(box, ['nginx', '-t']);
  const configTest = { ok: test.ok, said: test.said.split('\n').filter((l) => /emerg|error|failed/.test(l))[0] ?? test.said };
  const otherSite = statusOf(box, OTHER_SITE.url);
  if (status !== 200 || !configTest.ok) return { status, configTest, otherSite, durable: null };
  for (const argv of [...restart, ['nginx', '-s', 'reload']]) {
    if (!inBox(box, argv).ok) return { status, configTest, otherSite, durable: { restartFailed: commandLine(argv, 'person'), status: 0 } };
  }
  return { status, configTest, otherSite, durable: { restartFailed: null, status: await waitForStatus(box, url, 200) } };
}
