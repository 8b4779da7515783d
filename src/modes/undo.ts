import type { Mode } from '../args.js';
import { stderrSink } from '../fixes/apply/steps.js';
import { undoLast, type UndoOutcome } from '../fixes/apply/undo.js';
import { CannotRun } from '../errors.js';
import { connectHosts } from '../drive/connect.js';
import { jsonText, stripControl } from '../shell/sanitize.js';
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
  // A host that cannot be reached ends the run here (SshError: exit 3, its message on stderr).
  const hosts = await connectHosts(mode.hosts, { asker: null, acceptNewHostKey: mode.acceptNewHostKey });
  try {
    const outcome = await undoLast(hosts.proxy, mode.json ? { onEvent: stderrSink } : {});
    process.stdout.write(mode.json ? `${jsonText(outcome)}\n` : say(outcome));
    return outcome.undone ? EXIT.healthyOrFixed : EXIT.diagnosed;
  } catch (e) {
    throw new CannotRun(`undo failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await hosts.close();
  }
}
