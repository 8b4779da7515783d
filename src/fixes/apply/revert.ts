/**
 * Putting a box back as it was before an apply: the recorded undo commands, newest first; every changed
 * file restored from its backup the same safe way it was changed (a copy beside it, one atomic mv); the
 * backend restarted if its config came back; nginx reloaded again with proof. Used by the rollback of
 * a failed apply and by `badgateway undo`.
 */
import { commandLine } from '../../shell/quote.js';
import type { Box, BoxError } from './box.js';
import { said } from './box.js';
import { candidatePath } from './place.js';
import { stagingDir } from './prepare.js';
import { restartBackend } from './processes.js';
import type { ApplyRecord, CommandChange, EditChange } from './record.js';
import { reloadWithProof } from './reload.js';
import type { StepGate } from './steps.js';

export interface Reverted {
  ok: boolean;
  /** What was done, one line each, for the report. */
  lines: string[];
  problems: string[];
}

async function undoCommands(box: Box, commands: CommandChange[], out: Reverted): Promise<void> {
  for (const c of [...commands].reverse()) {
    if (c.status !== 'ran') continue;
    if (!c.undo) {
      out.lines.push(`${c.command}: ${c.undoText}`);
      continue;
    }
    let ok = true;
    for (const argv of c.undo) {
      const r = await box.run({ argv, timeoutMs: 60_000 });
      if (r.code !== 0) {
        ok = false;
        out.problems.push(`undoing ${c.command} with ${commandLine(argv, 'person')} failed: ${said(r)}`);
        break;
      }
    }
    if (ok) {
      c.status = 'undone';
      out.lines.push(`undid ${c.command}: ${c.undo.map((a) => commandLine(a, 'person')).join('; ')}`);
    }
  }
}

async function restoreFiles(box: Box, record: ApplyRecord, edits: EditChange[], patterns: readonly string[], out: Reverted): Promise<EditChange[]> {
  const restored: EditChange[] = [];
  const pairs: [string, string][] = [];
  const staged: EditChange[] = [];
  for (const [index, e] of edits.entries()) {
    const now = await box.sha256(e.path).catch(() => null);
    if (now === e.sha256Before) {
      out.lines.push(`${e.path} is as it was before: nothing to restore`);
      e.status = 'restored';
      continue;
    }
    if (now !== e.sha256After) {
      e.status = 'not-restored';
      out.problems.push(`${e.path} changed since badgateway wrote it: not restored (the old version is in ${e.backup})`);
      continue;
    }
    try {
      const candidate = await candidatePath(box, record.stateDir, `${record.id}-restore`, index, e.path, patterns);
      await box.copy(e.backup, candidate);
      pairs.push([candidate, e.path]);
      staged.push(e);
    } catch (error) {
      e.status = 'not-restored';
      out.problems.push(`cannot restore ${e.path}: ${(error as Error).message}`);
    }
  }
  if (!pairs.length) return restored;
  try {
    await box.swap(pairs);
  } catch (error) {
    for (const e of staged) e.status = 'not-restored';
    out.problems.push(`cannot put the backups back: ${(error as BoxError).message}`);
    return restored;
  }
  for (const e of staged) {
    const now = await box.sha256(e.path).catch(() => null);
    if (now === e.sha256Before) {
      e.status = 'restored';
      restored.push(e);
      out.lines.push(`restored ${e.path} from ${e.backup}`);
    } else {
      e.status = 'not-restored';
      out.problems.push(`${e.path} does not match its backup after the restore`);
    }
  }
  return restored;
}

/**
 * Reverts what the record says was done. `reloaded`: nginx was reloaded by the apply, so it reloads
 * again even when no nginx file had to be restored (the "restore, then reload again").
 */
export async function revert(box: Box, record: ApplyRecord, gate: StepGate, patterns: readonly string[], reloaded: boolean): Promise<Reverted> {
  const out: Reverted = { ok: true, lines: [], problems: [] };
  const commands = record.changes.filter((c): c is CommandChange => c.kind === 'command');
  const edits = record.changes.filter((c): c is EditChange => c.kind === 'edit' && (c.status === 'applied' || c.status === 'planned'));
  // Each part goes on even if an earlier one failed (a connection lost for good fails them all, and says so).
  const attempt = async (what: string, part: () => Promise<void>) => {
    try {
      await part();
    } catch (error) {
      out.problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  let restored: EditChange[] = [];
  await gate.enter('rollback-commands', 'undoing the commands that ran, newest first');
  await attempt('undoing the commands', () => undoCommands(box, commands, out));
  await gate.enter('rollback-swap', 'putting the backups back in place');
  await attempt('restoring the files', async () => {
    restored = await restoreFiles(box, record, edits, patterns, out);
    await box.run({ argv: ['rmdir', '--', stagingDir(record.stateDir, `${record.id}-restore`)] });
  });
  const backend = record.backend;
  if (restored.some((e) => e.program !== 'nginx') && backend) {
    await attempt('restarting the backend', async () => {
      for (const step of await restartBackend(box, backend)) (step.ok ? out.lines : out.problems).push(`${commandLine(step.command, 'person')}: ${step.said}`);
    });
  }
  const nginx = record.nginx;
  if (nginx && (reloaded || restored.some((e) => e.program === 'nginx'))) {
    await gate.enter('rollback-reload', 'reloading nginx with the restored configuration');
    await attempt('reloading nginx', async () => {
      const test = await box.run({ argv: nginx.test, timeoutMs: 30_000 });
      if (test.code !== 0) out.problems.push(`${commandLine(nginx.test, 'person')} fails on the restored configuration: ${said(test)}`);
      const reload = await reloadWithProof(box, nginx);
      if (reload.ok) out.lines.push(`reloaded nginx (${reload.command}): ${reload.proof}`);
      else out.problems.push(`reloading nginx after the restore: ${reload.problem}`);
    });
  }
  out.ok = out.problems.length === 0;
  return out;
}
