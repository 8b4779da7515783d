/**
 * The planned commands of an apply: each as a change for the record, and run with what it changed and how
 * to put that back (a chmod records the old mode, a start records the stop).
 */
import type { KnownFacts } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import type { Box } from './box.js';
import { fpmConfOf, killedPid, modeUndo, parseOwnership, statCommand, type CommandAction } from './commands.js';
import type { PreparedCommand } from './prepare.js';
import { fpmMaster, waitGone } from './processes.js';
import type { CommandChange } from './record.js';

export function commandChange(c: PreparedCommand): CommandChange {
  return {
    kind: 'command',
    command: commandLine(c.planned.argv, 'person'),
    argv: c.planned.argv,
    why: c.planned.why,
    durable: c.planned.durable,
    action: c.action.kind === 'service' ? `service-${c.action.verb}` : c.action.kind,
    status: c.run ? 'planned' : 'skipped',
    ...(c.skipped ? { skipped: c.skipped } : {}),
    undo: null,
    undoText: c.run ? 'not run yet' : 'not run: nothing to undo',
  };
}

/** Runs one command as planned, and works out what it changed and how to put that back. */
export async function runCommand(box: Box, change: CommandChange, action: CommandAction, facts: KnownFacts, afterStop: boolean): Promise<void> {
  const before = action.kind === 'mode' ? parseOwnership((await box.run({ argv: statCommand(action.path) })).stdout) : null;
  const result = await box.run({ argv: change.argv, timeoutMs: 60_000 });
  change.result = { code: result.code, ms: result.ms, stdout: result.stdout.slice(-2000), stderr: result.stderr.slice(-2000), ...(result.failure ? { failure: result.failure } : {}) };
  if (result.code !== 0) {
    change.status = 'failed';
    change.undoText = 'it failed: nothing to undo';
    return;
  }
  change.status = 'ran';
  const stopped = killedPid(change.argv);
  if (stopped !== null && !(await waitGone(box, stopped))) change.changed = `process ${stopped} was asked to stop but still runs after 10 s`;
  if (action.kind === 'mode') {
    const after = parseOwnership((await box.run({ argv: statCommand(action.path) })).stdout);
    if (before) {
      const { undo, changed } = modeUndo(action, before, after);
      change.undo = [undo];
      change.changed = changed;
      change.undoText = commandLine(undo, 'person');
    } else change.undoText = `unknown: ${action.path} could not be read before the change`;
    return;
  }
  if (action.kind === 'continue') {
    change.changed = `process ${action.pids.join(', ')} continued (SIGCONT)`;
    // Stopping it again would only bring the outage back: a rollback leaves it running.
    change.undoText = 'not undone: it stays running';
    return;
  }
  if (action.kind === 'selinux-boolean') {
    const undo = ['setsebool', '-P', action.name, action.value === '1' || action.value === 'on' ? '0' : '1'];
    change.undo = [undo];
    change.changed = `SELinux boolean ${action.name} set to ${action.value}, permanently`;
    change.undoText = commandLine(undo, 'person');
    return;
  }
  if (action.kind !== 'service') return;
  const unit = facts['service.unit'] ?? 'the backend';
  if (action.verb === 'restart' || (action.verb === 'start' && afterStop)) {
    change.changed = `${unit} restarted: it read its configuration again`;
    change.undoText = 'none needed: a restart changes nothing by itself (the files it read are restored separately)';
    return;
  }
  if (action.verb === 'stop') {
    change.changed = `${unit} stopped`;
    change.undoText = 'the start that follows brings it back';
    return;
  }
  const conf = fpmConfOf(change.argv);
  const stop = facts['service.stop'] ?? [];
  if (conf) {
    const pid = await fpmMaster(box, conf);
    change.changed = `${unit} started${pid ? ` (master pid ${pid})` : ''}`;
    if (pid) {
      change.undo = [['kill', '-QUIT', '--', String(pid)]];
      change.undoText = `${commandLine(change.undo[0] as string[], 'person')} (stops the php-fpm it started, gracefully)`;
    } else change.undoText = 'unknown: its master process was not found after the start';
    return;
  }
  change.changed = `${unit} started`;
  if (stop.length && killedPid(stop) === null) {
    change.undo = [stop];
    change.undoText = commandLine(stop, 'person');
  } else change.undoText = `stop ${unit} with the tool that manages it`;
}
