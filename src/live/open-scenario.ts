import { spawnSync } from 'node:child_process';
import type { Box } from './box.js';
import type { Scenario } from './scenarios.js';
import { enableOtherSite, OTHER_SITE } from './other-site.js';
import type { Stack } from './stacks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a request through the box's nginx got: its status (0: no answer) within `seconds`. */
export function statusOf(box: Box, url: string, seconds = 15): number {
  const argv = box.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', String(seconds), url]);
  const done = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: (seconds + 5) * 1000 });
  return Number(done.stdout?.trim() || 0) || 0;
}

/** Asks (bounded: `tries` times, `pauseMs` apart) until the request gets `status`; the last status seen. */
export async function waitForStatus(box: Box, url: string, status: number, tries = 30, pauseMs = 500): Promise<number> {
  let last = 0;
  for (let i = 0; i < tries; i++) {
    last = statusOf(box, url);
    if (last === status) return last;
    await sleep(pauseMs);
  }
  return last;
}

/**
 * Builds a scenario's broken box: its stack, broken; a second site that works (what the fix must not break);
 * and the failing request asked once, as the user did, so nginx's error log already tells the story.
 * Throws (the box removed) when the box does not fail the way the scenario says.
 */
export async function openScenario(scenario: Scenario): Promise<Stack> {
  const stack = await scenario.build();
  try {
    enableOtherSite(stack.box);
    const other = await waitForStatus(stack.box, OTHER_SITE.url, 200, 20, 250);
    if (other !== 200) throw new Error(`the box's other site ${OTHER_SITE.url} answers ${other}, not 200`);
    const seen = await waitForStatus(stack.box, scenario.url, scenario.failsWith, 10, 500);
    if (seen !== scenario.failsWith) throw new Error(`the scenario ${scenario.id} should fail with ${scenario.failsWith}, but ${scenario.url} answers ${seen}`);
    return stack;
  } catch (e) {
    await stack.box.remove();
    throw e;
  }
}
