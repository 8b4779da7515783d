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
 * What a reboot does to the box's processes and runtime files: every process ends but the box's first one and
 * its lifeline (the `cat` on its starter's pipe, src/live/box.ts), bounded to 50 rounds a tenth of a second
 * apart, until only those and this script are left; then the pid files and sockets under /run go, as /run
 * starts empty at boot.
 */
const POWER_OFF = `lifeline=$(ps -o pid= -o comm= --ppid 1 | awk '$2 == "cat" { print $1 }')
for round in $(seq 1 50); do
  left=0
  for p in $(ps -e -o pid=); do
    case " 1 $$ $lifeline " in *" $p "*) ;; *) kill -KILL "$p" 2>/dev/null && left=1 ;; esac
  done
  [ "$left" = 0 ] && break
  sleep 0.1
done
find /run \\( -name '*.pid' -type f -o -type s \\) -print0 | xargs -0r rm -f`;

/**
 * Checks the box for real after the trainee says "done": the failing request through nginx, nginx -t, the
 * other site; then durability: every process of the box ended, the backend and nginx started the way the box
 * starts them at boot (`boot`, then `nginx`), `afterBoot` (the users' load, where a scenario has one), and the
 * request asked again (bounded: 30 tries, half a second apart, while the backend comes up).
 */
export async function inspect(box: Box, url: string, boot: readonly string[][], afterBoot?: (box: Box) => void): Promise<Findings> {
  const status = statusOf(box, url);
  const test = inBox(box, ['nginx', '-t']);
  const configTest = { ok: test.ok, said: test.said.split('\n').filter((l) => /emerg|error|failed/.test(l))[0] ?? test.said };
  const otherSite = statusOf(box, OTHER_SITE.url);
  if (status !== 200 || !configTest.ok) return { status, configTest, otherSite, durable: null };
  inBox(box, ['sh', '-c', POWER_OFF]);
  // As at boot, a start command that complains does not stop the others: Debian's uwsgi script says "failed"
  // when its daemon is slower to write its pid file than the script is to look. The request decides; the
  // complaint is told only when the request then fails.
  let complaint: string | null = null;
  for (const argv of [...boot, ['nginx']]) {
    const started = inBox(box, argv);
    const said = started.said.split('\n').filter(Boolean).pop();
    if (!started.ok) complaint ??= `${commandLine(argv, 'person')}${said ? ` (${said})` : ''}`;
  }
  afterBoot?.(box);
  const after = await waitForStatus(box, url, 200);
  return { status, configTest, otherSite, durable: { restartFailed: after === 200 ? null : complaint, status: after } };
}
