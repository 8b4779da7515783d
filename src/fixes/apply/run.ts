/**
 * Applying a fix the safe way, on the proxy host, through its Host:
 * read every file again -> back it up -> journal -> write the new version beside it -> test the whole
 * tree with it in place -> one atomic mv -> the commands, each with its undo -> reload (never restart)
 * -> proof of new workers -> the failing request again -> journal.
 * The original file changes only by rename, so at any moment it is the old or the new version. A failed
 * test changes nothing; a failed command, reload or request rolls everything back. An interrupt stops at
 * the next step boundary and rolls back (after the request succeeded it only finishes the journal).
 */
import { posix } from 'node:path';
import type { KnownFacts } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import { Box, BoxError, sha256 } from './box.js';
import { fpmConfOf, killedPid, modeUndo, parseOwnership, statCommand, type CommandAction } from './commands.js';
import { includePatterns } from './include-globs.js';
import { journalPath, writeJournal } from './journal.js';
import { besidePath, candidatePath } from './place.js';
import { backupDir, stagingDir, type ApplyInput, type Prepared, type PreparedCommand } from './prepare.js';
import { fpmMaster, waitGone } from './processes.js';
import type { ApplyRecord, Change, CommandChange, EditChange, ReloadChange } from './record.js';
import { reloadWithProof } from './reload.js';
import { revert } from './revert.js';
import { StepGate, type EventSink } from './steps.js';
import { validateWith, withConfFile, type Bind } from './validate.js';
import { verifyRequest, type Verification } from './verify.js';

/** What the diagnosis finds with the change in place, when the request still fails. */
export interface Finding {
  cause: string | null;
  title: string;
  summary: string;
  steps: { node: string; outcome: string; summary: string }[];
}

export interface ApplyOptions {
  signal?: AbortSignal;
  onEvent?: EventSink;
  pauseAt?: string | null;
  /** Runs the diagnosis again with the change in place (from the error-log step). */
  rediagnose?: () => Promise<Finding | null>;
  now?: () => Date;
}

export interface ApplyOutcome {
  id: string;
  /** The change was put in place (even if it was rolled back later). */
  applied: boolean;
  verified: boolean;
  rolledBack: boolean;
  interrupted: boolean;
  failure: string | null;
  changes: Change[];
  backups: string[];
  /** What the rollback did, line by line. */
  rollback: string[];
  verification: Verification | null;
  /** The new finding when the request still failed with the change in place. */
  after: Finding | null;
  journal: string | null;
  host: string;
}

export function applyId(date: Date): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

function recordOf(prepared: Prepared, input: ApplyInput, id: string, at: Date, changes: Change[]): ApplyRecord {
  const url = input.facts['request.url'];
  return {
    v: 1,
    id,
    event: 'begin',
    at: at.toISOString(),
    host: prepared.host,
    cause: input.cause,
    title: input.title,
    request: url ? `${input.facts['request.method'] ?? 'GET'} ${url}` : null,
    stateDir: prepared.stateDir,
    nginx: prepared.nginx,
    backend: prepared.backend,
    changes,
    verified: false,
    failure: null,
  };
}

function commandChange(c: PreparedCommand): CommandChange {
  return {
    kind: 'command',
    command: commandLine(c.planned.argv),
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
async function runCommand(box: Box, change: CommandChange, action: CommandAction, facts: KnownFacts, afterStop: boolean): Promise<void> {
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
      change.undoText = commandLine(undo);
    } else change.undoText = `unknown: ${action.path} could not be read before the change`;
    return;
  }
  if (action.kind === 'selinux-boolean') {
    const undo = ['setsebool', '-P', action.name, action.value === '1' || action.value === 'on' ? '0' : '1'];
    change.undo = [undo];
    change.changed = `SELinux boolean ${action.name} set to ${action.value}, permanently`;
    change.undoText = commandLine(undo);
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
      change.undoText = `${commandLine(change.undo[0] as string[])} (stops the php-fpm it started, gracefully)`;
    } else change.undoText = 'unknown: its master process was not found after the start';
    return;
  }
  change.changed = `${unit} started`;
  if (stop.length && killedPid(stop) === null) {
    change.undo = [stop];
    change.undoText = commandLine(stop);
  } else change.undoText = `stop ${unit} with the tool that manages it`;
}

export async function runApply(prepared: Prepared, input: ApplyInput, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const box = new Box(input.hosts.proxy);
  const gate = new StepGate(options.onEvent ?? (() => {}), options.signal, options.pauseAt === undefined ? undefined : options.pauseAt);
  const started = (options.now ?? (() => new Date()))();
  const id = applyId(started);
  const { facts } = input;
  const edits: EditChange[] = prepared.files.map((f) => {
    const backup = `${backupDir(prepared.stateDir, id)}${f.path}`;
    return {
      kind: 'edit',
      file: f.file,
      path: f.path,
      program: f.program,
      lines: f.edits.map((e) => e.line),
      diff: f.diff,
      backup,
      sha256Before: f.sha256,
      sha256After: sha256(f.newText),
      status: 'planned',
      undo: `badgateway undo, or by hand: ${commandLine(['cp', '--preserve=all', '--', backup, f.path])}, then test and reload`,
    };
  });
  const commandChanges = prepared.commands.map(commandChange);
  const changes: Change[] = [...edits, ...commandChanges];
  const record = recordOf(prepared, input, id, started, changes);
  const outcome: ApplyOutcome = {
    id,
    applied: false,
    verified: false,
    rolledBack: false,
    interrupted: false,
    failure: null,
    changes,
    backups: edits.map((e) => e.backup),
    rollback: [],
    verification: null,
    after: null,
    journal: null,
    host: prepared.host,
  };
  if (!prepared.ok) return { ...outcome, failure: `not applied: ${prepared.refusal}` };

  const confDir = posix.dirname(facts['nginx.confPath'] ?? '/etc/nginx/nginx.conf');
  const patterns = facts['nginx.config'] ? includePatterns(facts['nginx.config'], confDir) : [];
  const candidates: string[] = [];
  let reloaded = false;
  let journaled = false;
  /** The rename was asked for: from then on a file may be the new version even if no answer came back. */
  let swapStarted = false;

  const tidy = async () => {
    for (const path of candidates.splice(0)) await box.remove(path);
    await box.run({ argv: ['rmdir', '--', stagingDir(prepared.stateDir, id)] });
  };
  const journal = async (event: ApplyRecord['event']) => {
    record.event = event;
    record.at = new Date().toISOString();
    record.verified = outcome.verified;
    record.failure = outcome.failure;
    await writeJournal(box, prepared.stateDir, record);
    journaled = true;
    outcome.journal = journalPath(prepared.stateDir);
  };
  /** Nothing was put in place: remove the candidates, say why, keep the journal honest. */
  const stopUnchanged = async (failure: string): Promise<ApplyOutcome> => {
    outcome.failure = failure;
    await tidy();
    if (journaled) await journal('failed').catch(() => undefined);
    gate.tell('done', 'fail', `${failure}; nothing was changed`);
    return outcome;
  };
  const rollBack = async (failure: string): Promise<ApplyOutcome> => {
    outcome.failure = failure;
    await gate.enter('rollback', `rolling back: ${failure}`);
    await tidy();
    const done = await revert(box, record, gate, patterns, reloaded);
    outcome.rollback = [...done.lines, ...done.problems.map((p) => `PROBLEM: ${p}`)];
    outcome.rolledBack = done.ok;
    if (!done.ok) {
      outcome.failure = `${failure}; the rollback was incomplete: ${done.problems.join('; ')}`;
      if (journaled) outcome.rollback.push(`Run "badgateway undo" against ${box.label} once it answers again: its journal (${journalPath(prepared.stateDir)}) lists the backups.`);
    }
    await gate.enter('rollback-journal', 'writing the rollback to the journal');
    await journal('rolled-back').catch((e: Error) => outcome.rollback.push(`PROBLEM: the journal could not be written: ${e.message}`));
    gate.tell('done', 'fail', `${failure}; ${done.ok ? 'rolled back' : 'rolled back only in part'}`);
    return outcome;
  };
  const changedSoFar = () => outcome.applied || swapStarted || edits.some((e) => e.status === 'applied') || commandChanges.some((c) => c.status === 'ran') || reloaded;
  /** Roll back what changed; when nothing did yet, just stop. */
  const undoOrStop = (failure: string) => (changedSoFar() ? rollBack(failure) : stopUnchanged(failure));
  const interrupted = () => {
    outcome.interrupted = true;
    return 'interrupted';
  };

  try {
    await gate.enter('read', 'reading each file again: it must still be as the diagnosis saw it');
    if (gate.aborted) return await stopUnchanged(interrupted());
    for (const f of prepared.files) {
      if ((await box.sha256(f.path)) !== f.sha256) return await stopUnchanged(`${f.path} changed since the diagnosis: run it again before applying`);
    }
    if (gate.aborted) return await stopUnchanged(interrupted());

    await gate.enter('backup', `backing up to ${backupDir(prepared.stateDir, id)}`);
    if (gate.aborted) return await stopUnchanged(interrupted());
    if (edits.length) await box.mkdirs(prepared.stateDir, true);
    for (const e of edits) {
      await box.mkdirs(posix.dirname(e.backup));
      await box.copy(e.path, e.backup);
      if ((await box.sha256(e.backup)) !== e.sha256Before) return await stopUnchanged(`the backup of ${e.path} does not match it`);
    }
    if (gate.aborted) return await stopUnchanged(interrupted());

    await gate.enter('journal-begin', `writing the plan to ${journalPath(prepared.stateDir)}`);
    if (gate.aborted) return await stopUnchanged(interrupted());
    await journal('begin');
    if (gate.aborted) return await stopUnchanged(interrupted());

    const binds: (Bind & { file: (typeof prepared.files)[number] })[] = [];
    if (prepared.files.length) {
      await gate.enter('candidate', 'writing each new version beside its file');
      if (gate.aborted) return await stopUnchanged(interrupted());
      for (const [index, f] of prepared.files.entries()) {
        const candidate = await candidatePath(box, prepared.stateDir, id, index, f.path, patterns);
        candidates.push(candidate);
        await box.copy(f.path, candidate);
        await box.overwrite(candidate, f.newText);
        binds.push({ candidate, target: f.path, file: f });
        gate.tell('candidate', 'info', `the new version of ${f.path} is at ${candidate}`);
      }
      if (gate.aborted) return await stopUnchanged(interrupted());

      await gate.enter('validate', 'testing the whole configuration with the new version in place');
      if (gate.aborted) return await stopUnchanged(interrupted());
      for (const program of ['nginx', 'php-fpm'] as const) {
        const group = binds.filter((b) => b.file.program === program);
        const first = group[0];
        if (!first) continue;
        let result = await validateWith(box, group, first.file.test);
        if (!result.ok && result.cannot && group.length === 1 && first.file.main) {
          // No mount namespace here (not root, or a container without it): test a copy of the main file beside it.
          const beside = besidePath(first.file.path, `${id}-test`, patterns);
          candidates.push(beside);
          await box.copy(first.candidate, beside);
          result = await validateWith(box, [], withConfFile(first.file.test, beside));
          await box.remove(beside);
        }
        gate.tell('validate', result.ok ? 'ok' : 'fail', `${commandLine(first.file.test)}: ${result.output.split('\n').slice(-2).join(' ')}`);
        if (!result.ok) {
          const why = result.cannot ? `the new version cannot be tested before it is in place on this box (${result.output})` : `the test fails with the change: ${result.output}`;
          return await stopUnchanged(`validation failed: ${why}`);
        }
      }
      if (gate.aborted) return await stopUnchanged(interrupted());

      await gate.enter('swap', 'putting the new versions in place (one atomic rename each)');
      if (gate.aborted) return await stopUnchanged(interrupted());
      swapStarted = true;
      await box.swap(binds.map((b) => [b.candidate, b.target] as const));
      candidates.length = 0;
      outcome.applied = true;
      for (const e of edits) {
        if ((await box.sha256(e.path)) !== e.sha256After) throw new BoxError(`${e.path} does not hold the new version after the rename`);
        e.status = 'applied';
      }
    }

    const ran = prepared.commands.map((c, i) => ({ c, change: commandChanges[i] as CommandChange })).filter((x) => x.c.run);
    let previousStop = false;
    for (const [index, { c, change }] of ran.entries()) {
      if (gate.aborted) return await undoOrStop(interrupted());
      await gate.enter(`command-${index + 1}`, `running ${change.command}`);
      if (gate.aborted) return await undoOrStop(interrupted());
      await runCommand(box, change, c.action, facts, previousStop);
      if (change.status === 'ran') outcome.applied = true;
      previousStop = c.action.kind === 'service' && c.action.verb === 'stop';
      const failed = `${change.command} failed: ${change.result?.stderr.trim() || change.result?.failure || `exit ${change.result?.code}`}`;
      gate.tell(`command-${index + 1}`, change.status === 'ran' ? 'ok' : 'fail', change.status === 'ran' ? `${change.command}: ${change.changed ?? 'done'}` : failed);
      if (change.status === 'failed') return await undoOrStop(failed);
    }

    if (prepared.reload && prepared.nginx) {
      if (gate.aborted) return await undoOrStop(interrupted());
      await gate.enter('reload', `reloading nginx: ${commandLine(prepared.nginx.reload)}`);
      if (gate.aborted) return await undoOrStop(interrupted());
      outcome.applied = true;
      reloaded = true;
      const reload = await reloadWithProof(box, prepared.nginx, () => gate.enter('proof', 'waiting for new nginx workers'));
      const change: ReloadChange = { kind: 'reload', command: reload.command, status: reload.ok ? 'ran' : 'failed', proof: reload.ok ? reload.proof : reload.problem };
      changes.push(change);
      gate.tell('proof', reload.ok ? 'ok' : 'fail', change.proof);
      if (!reload.ok) return await rollBack(`the reload did not take: ${reload.problem}`);
    }

    if (gate.aborted) return await undoOrStop(interrupted());
    await gate.enter('verify', 'sending the failing request through nginx again');
    const verification = await verifyRequest(box, facts, options.signal);
    outcome.verification = verification;
    gate.tell('verify', verification.ok ? 'ok' : 'fail', verification.summary);
    if (gate.aborted && !verification.ok) return await undoOrStop(interrupted());
    if (!verification.ok) {
      gate.tell('verify', 'info', 'diagnosing again with the change in place, from the error log');
      outcome.after = (await options.rediagnose?.().catch(() => null)) ?? null;
      return await rollBack(`the request still fails: ${verification.summary}${outcome.after?.cause ? `; with the change, the diagnosis finds ${outcome.after.cause}` : ''}`);
    }
    outcome.verified = true;
    await gate.enter('journal-end', 'writing the result to the journal');
    await journal('applied');
    await tidy();
    gate.tell('done', 'ok', `fixed and verified: ${verification.summary}`);
    return outcome;
  } catch (error) {
    const message = error instanceof BoxError ? error.message : `unexpected error: ${(error as Error).message}`;
    if (!changedSoFar()) return await stopUnchanged(message).catch(() => ({ ...outcome, failure: message }));
    return await rollBack(message).catch((e: Error) => ({ ...outcome, failure: `${message}; the rollback failed too: ${e.message}` }));
  }
}
