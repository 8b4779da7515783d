import type { Mode } from '../args.js';
import { stderrSink } from '../fixes/apply/steps.js';
import { undoLast, type UndoOutcome } from '../fixes/apply/undo.js';
import type { HostSet } from '../hosts/host-set.js';
import { connectHosts, isReachFailure } from '../session/connect.js';
import { stripControl } from '../shell/sanitize.js';
import { EXIT } from './exit.js';

type UndoMode = Extract<Mode, { kind: 'undo' }>;

function say(outcome: UndoOutcome): string {
  const lines: string[] = [];
  if (outcome.fix)
    lines.push(
      `Undoing the fix of ${outcome.fix.at} on ${outcome.host}: ${outcome.fix.cause ?? 'unknown'} · ${outcome.fix.title}${outcome.fix.event === 'begin' ? ' (that apply was cut short)' : ''}`,
    );
  for (const line of outcome.lines) lines.push(`  ✓ ${line}`);
  for (const problem of outcome.problems) lines.push(`  ✗ ${problem}`);
  lines.push(outcome.undone ? 'Undone.' : outcome.fix ? 'Not fully undone: see above.' : 'Nothing to undo.');
  lines.push(`Journal: ${outcome.journal}`);
  // The journal and what the box said come from the box: shown as text only.
  return `${stripControl(lines.join('\n'))}\n`;
}

/** `badgateway undo`: reverts the last applied fix on the proxy host and says what it did. */
export async function undo(mode: UndoMode): Promise<number> {
  let hosts: HostSet;
  try {
    hosts = await connectHosts(mode.hosts, { asker: null, acceptNewHostKey: mode.acceptNewHostKey });
  } catch (e) {
    if (!isReachFailure(e)) throw e;
    process.stderr.write(`badgateway: ${e.message}\n`);
    return EXIT.unreachable;
  }
  try {
    const outcome = await undoLast(hosts.proxy, mode.json ? { onEvent: stderrSink } : {});
    process.stdout.write(mode.json ? `${JSON.stringify(outcome, null, 2)}\n` : say(outcome));
    return outcome.undone ? EXIT.healthyOrFixed : EXIT.diagnosed;
  } catch (e) {
    process.stderr.write(`badgateway: undo failed: ${(e as Error).message}\n`);
    return EXIT.unreachable;
  } finally {
    await hosts.close();
  }
}
