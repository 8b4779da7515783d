/**
 * Applying a fix the safe way, on the proxy host, through its Host:
 * read every file again -> back it up -> journal -> write the new version beside it -> test the whole
 * tree with it in place -> one atomic mv -> the commands, each with its undo -> reload (never restart)
 * -> proof of new workers -> the failing request again -> journal.
 * The original file changes only by rename, so at any moment it is the old or the new version. A failed
 * test changes nothing; a failed command, reload or request rolls everything back. An interrupt stops at
 * the next step boundary and rolls back (after the request succeeded it only finishes the journal).
 * The steps are APPLY_PHASES below, in order; the rollback path is ApplyRun.rollBack.
 */
import { posix } from 'node:path';
import type { KnownFacts } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import { Box, BoxError, sha256 } from './box.js';
import { includePatterns } from './include-globs.js';
import { journalPath, writeJournal } from './journal.js';
import { besidePath, candidatePath } from './place.js';
import { backupDir, stagingDir, type ApplyInput, type Prepared, type PreparedCommand, type PreparedFile } from './prepare.js';
import type { ApplyRecord, Change, CommandChange, EditChange, ReloadChange } from './record.js';
import { reloadWithProof } from './reload.js';
import { revert } from './revert.js';
import { commandChange, runCommand } from './run-command.js';
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
  pauseAt?: string[];
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

function editChange(f: PreparedFile, stateDir: string, id: string): EditChange {
  const backup = `${backupDir(stateDir, id)}${f.path}`;
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
    undo: `badgateway undo, or by hand: ${commandLine(['cp', '--preserve=all', '--', backup, f.path], 'person')}, then test and reload`,
  };
}

function patternsOf(facts: KnownFacts): string[] {
  const confDir = posix.dirname(facts['nginx.confPath'] ?? '/etc/nginx/nginx.conf');
  return facts['nginx.config'] ? includePatterns(facts['nginx.config'], confDir) : [];
}

/** One apply under way: what it changes, what it has done so far, and the two ways it ends early. */
class ApplyRun {
  readonly box: Box;
  readonly gate: StepGate;
  readonly id: string;
  readonly facts: KnownFacts;
  readonly edits: EditChange[];
  readonly commandChanges: CommandChange[];
  readonly changes: Change[];
  readonly record: ApplyRecord;
  readonly outcome: ApplyOutcome;
  /** The commands that run (not the skipped ones), each with its change. */
  readonly ran: { c: PreparedCommand; change: CommandChange }[];
  /** The include globs of nginx's config, which a file written beside a config file must not match. */
  readonly patterns: string[];
  /** Files this apply wrote that are not in place: removed when it ends. */
  readonly candidates: string[] = [];
  readonly binds: (Bind & { file: PreparedFile })[] = [];
  reloaded = false;
  journaled = false;
  /** The rename was asked for: from then on a file may be the new version even if no answer came back. */
  swapStarted = false;
  /** The last command stopped the backend, so a start that follows is a restart. */
  previousStop = false;

  constructor(
    readonly prepared: Prepared,
    readonly input: ApplyInput,
    readonly options: ApplyOptions,
  ) {
    this.box = new Box(input.hosts.proxy);
    this.gate = new StepGate(options.onEvent ?? (() => {}), options.signal, options.pauseAt);
    const started = (options.now ?? (() => new Date()))();
    this.id = applyId(started);
    this.facts = input.facts;
    this.edits = prepared.files.map((f) => editChange(f, prepared.stateDir, this.id));
    this.commandChanges = prepared.commands.map(commandChange);
    this.changes = [...this.edits, ...this.commandChanges];
    this.record = recordOf(prepared, input, this.id, started, this.changes);
    this.outcome = {
      id: this.id,
      applied: false,
      verified: false,
      rolledBack: false,
      interrupted: false,
      failure: null,
      changes: this.changes,
      backups: this.edits.map((e) => e.backup),
      rollback: [],
      verification: null,
      after: null,
      journal: null,
      host: prepared.host,
    };
    this.ran = prepared.commands.map((c, i) => ({ c, change: this.commandChanges[i] as CommandChange })).filter((x) => x.c.run);
    this.patterns = prepared.ok ? patternsOf(this.facts) : [];
  }

  async tidy(): Promise<void> {
    for (const path of this.candidates.splice(0)) await this.box.remove(path);
    await this.box.run({ argv: ['rmdir', '--', stagingDir(this.prepared.stateDir, this.id)] });
  }

  async journal(event: ApplyRecord['event']): Promise<void> {
    this.record.event = event;
    this.record.at = new Date().toISOString();
    this.record.verified = this.outcome.verified;
    this.record.failure = this.outcome.failure;
    await writeJournal(this.box, this.prepared.stateDir, this.record);
    this.journaled = true;
    this.outcome.journal = journalPath(this.prepared.stateDir);
  }

  /** Nothing was put in place: remove the candidates, say why, keep the journal honest. */
  async stopUnchanged(failure: string): Promise<ApplyOutcome> {
    this.outcome.failure = failure;
    await this.tidy();
    if (this.journaled) await this.journal('failed').catch(() => undefined);
    this.gate.tell('done', 'fail', `${failure}; nothing was changed`);
    return this.outcome;
  }

  /** The rollback path: rollback, then (in revert) rollback-commands, -swap, -reload; then rollback-journal. */
  async rollBack(failure: string): Promise<ApplyOutcome> {
    const { outcome, gate } = this;
    outcome.failure = failure;
    await gate.enter('rollback', `rolling back: ${failure}`);
    await this.tidy();
    const done = await revert(this.box, this.record, gate, this.patterns, this.reloaded);
    outcome.rollback = [...done.lines, ...done.problems.map((p) => `PROBLEM: ${p}`)];
    outcome.rolledBack = done.ok;
    if (!done.ok) {
      outcome.failure = `${failure}; the rollback was incomplete: ${done.problems.join('; ')}`;
      if (this.journaled) outcome.rollback.push(`Run "badgateway undo" against ${this.box.label} once it answers again: its journal (${journalPath(this.prepared.stateDir)}) lists the backups.`);
    }
    await gate.enter('rollback-journal', 'writing the rollback to the journal');
    await this.journal('rolled-back').catch((e: Error) => outcome.rollback.push(`PROBLEM: the journal could not be written: ${e.message}`));
    gate.tell('done', 'fail', `${failure}; ${done.ok ? 'rolled back' : 'rolled back only in part'}`);
    return outcome;
  }

  changedSoFar(): boolean {
    return this.outcome.applied || this.swapStarted || this.edits.some((e) => e.status === 'applied') || this.commandChanges.some((c) => c.status === 'ran') || this.reloaded;
  }

  /** Roll back what changed; when nothing did yet, just stop. */
  undoOrStop(failure: string): Promise<ApplyOutcome> {
    return this.changedSoFar() ? this.rollBack(failure) : this.stopUnchanged(failure);
  }

  interrupted(): string {
    this.outcome.interrupted = true;
    return 'interrupted';
  }

  /** A step threw: roll back what changed, or stop. */
  async failed(error: unknown): Promise<ApplyOutcome> {
    const message = error instanceof BoxError ? error.message : `unexpected error: ${(error as Error).message}`;
    if (!this.changedSoFar()) return await this.stopUnchanged(message).catch(() => ({ ...this.outcome, failure: message }));
    return await this.rollBack(message).catch((e: Error) => ({ ...this.outcome, failure: `${message}; the rollback failed too: ${e.message}` }));
  }
}

/** What a step returns: an outcome ends the apply there; nothing goes on to the next step. */
type Ended = ApplyOutcome | undefined;

/** One step of an apply, announced before it starts (StepGate: the step log, BADGATEWAY_PAUSE_AT). */
interface Phase {
  /** The step's name; a phase run once per command is numbered: command-1, command-2, ... */
  step: string;
  numbered?: true;
  /** How many times it runs for this plan (default once): the file steps need files, the commands one each. */
  times?: (run: ApplyRun) => number;
  says: (run: ApplyRun, index: number) => string;
  /** Where an interrupt ends the apply: before the announcement and right after it (default), only at one, or never. */
  interrupt?: 'before' | 'after' | 'never';
  job: (run: ApplyRun, index: number) => Promise<Ended>;
}

/** Every file must still say what the diagnosis read. */
async function readAgain(run: ApplyRun): Promise<Ended> {
  for (const f of run.prepared.files) {
    if ((await run.box.sha256(f.path)) !== f.sha256) return await run.stopUnchanged(`${f.path} changed since the diagnosis: run it again before applying`);
  }
  return undefined;
}

async function backUp(run: ApplyRun): Promise<Ended> {
  if (run.edits.length) await run.box.mkdirs(run.prepared.stateDir, true);
  for (const e of run.edits) {
    await run.box.mkdirs(posix.dirname(e.backup));
    await run.box.copy(e.path, e.backup);
    if ((await run.box.sha256(e.backup)) !== e.sha256Before) return await run.stopUnchanged(`the backup of ${e.path} does not match it`);
  }
  return undefined;
}

async function journalBegin(run: ApplyRun): Promise<Ended> {
  await run.journal('begin');
  return undefined;
}

/** Each new version beside its file, where no include of the config matches it. */
async function writeCandidates(run: ApplyRun): Promise<Ended> {
  const { box, prepared } = run;
  for (const [index, f] of prepared.files.entries()) {
    const candidate = await candidatePath(box, prepared.stateDir, run.id, index, f.path, run.patterns);
    run.candidates.push(candidate);
    await box.copy(f.path, candidate);
    await box.overwrite(candidate, f.newText);
    run.binds.push({ candidate, target: f.path, file: f });
    run.gate.tell('candidate', 'info', `the new version of ${f.path} is at ${candidate}`);
  }
  return undefined;
}

/** nginx -t (or php-fpm -t) of the whole tree with the new versions bind-mounted in place. */
async function validate(run: ApplyRun): Promise<Ended> {
  const { box } = run;
  for (const b of run.binds.filter((x) => x.file.program === 'backend')) {
    run.gate.tell('validate', 'info', `${b.file.path}: the backend has no test of its own config; its restart and the check that nginx answers decide, and a failure puts the old file back`);
  }
  for (const program of ['nginx', 'php-fpm'] as const) {
    const group = run.binds.filter((b) => b.file.program === program);
    const first = group[0];
    if (!first) continue;
    let result = await validateWith(box, group, first.file.test);
    if (!result.ok && result.cannot && group.length === 1 && first.file.main) {
      // No mount namespace here (not root, or a container without it): test a copy of the main file beside it.
      const beside = besidePath(first.file.path, `${run.id}-test`, run.patterns);
      run.candidates.push(beside);
      await box.copy(first.candidate, beside);
      result = await validateWith(box, [], withConfFile(first.file.test, beside));
      await box.remove(beside);
    }
    run.gate.tell('validate', result.ok ? 'ok' : 'fail', `${commandLine(first.file.test, 'person')}: ${result.output.split('\n').slice(-2).join(' ')}`);
    if (!result.ok) {
      const why = result.cannot ? `the new version cannot be tested before it is in place on this box (${result.output})` : `the test fails with the change: ${result.output}`;
      return await run.stopUnchanged(`validation failed: ${why}`);
    }
  }
  return undefined;
}

/** One atomic mv per file, in one command. */
async function swap(run: ApplyRun): Promise<Ended> {
  run.swapStarted = true;
  await run.box.swap(run.binds.map((b) => [b.candidate, b.target] as const));
  run.candidates.length = 0;
  run.outcome.applied = true;
  for (const e of run.edits) {
    if ((await run.box.sha256(e.path)) !== e.sha256After) throw new BoxError(`${e.path} does not hold the new version after the rename`);
    e.status = 'applied';
  }
  return undefined;
}

async function command(run: ApplyRun, index: number): Promise<Ended> {
  const { c, change } = run.ran[index]!;
  await runCommand(run.box, change, c.action, run.facts, run.previousStop);
  if (change.status === 'ran') run.outcome.applied = true;
  run.previousStop = c.action.kind === 'service' && c.action.verb === 'stop';
  const failed = `${change.command} failed: ${change.result?.stderr.trim() || change.result?.failure || `exit ${change.result?.code}`}`;
  run.gate.tell(`command-${index + 1}`, change.status === 'ran' ? 'ok' : 'fail', change.status === 'ran' ? `${change.command}: ${change.changed ?? 'done'}` : failed);
  if (change.status === 'failed') return await run.undoOrStop(failed);
  return undefined;
}

/** A reload (never a restart), then the step 'proof': new workers under the same master. */
async function reload(run: ApplyRun): Promise<Ended> {
  run.outcome.applied = true;
  run.reloaded = true;
  const reload = await reloadWithProof(run.box, run.prepared.nginx!, () => run.gate.enter('proof', 'waiting for new nginx workers'));
  const change: ReloadChange = { kind: 'reload', command: reload.command, status: reload.ok ? 'ran' : 'failed', proof: reload.ok ? reload.proof : reload.problem };
  run.changes.push(change);
  run.gate.tell('proof', reload.ok ? 'ok' : 'fail', change.proof);
  if (!reload.ok) return await run.rollBack(`the reload did not take: ${reload.problem}`);
  return undefined;
}

/** The failing request through nginx again; when it still fails, the diagnosis again with the change in place. */
async function verify(run: ApplyRun): Promise<Ended> {
  const { outcome, gate } = run;
  const verification = await verifyRequest(run.box, run.facts, run.options.signal);
  outcome.verification = verification;
  gate.tell('verify', verification.ok ? 'ok' : 'fail', verification.summary);
  if (gate.aborted && !verification.ok) return await run.undoOrStop(run.interrupted());
  if (!verification.ok) {
    gate.tell('verify', 'info', 'diagnosing again with the change in place, from the error log');
    outcome.after = (await run.options.rediagnose?.().catch(() => null)) ?? null;
    return await run.rollBack(`the request still fails: ${verification.summary}${outcome.after?.cause ? `; with the change, the diagnosis finds ${outcome.after.cause}` : ''}`);
  }
  outcome.verified = true;
  return undefined;
}

async function journalEnd(run: ApplyRun): Promise<Ended> {
  await run.journal('applied');
  await run.tidy();
  run.gate.tell('done', 'ok', `fixed and verified: ${(run.outcome.verification as Verification).summary}`);
  return undefined;
}

const withFiles = (run: ApplyRun) => (run.prepared.files.length ? 1 : 0);

/** The steps of an apply, in order: the names are the step log's and BADGATEWAY_PAUSE_AT's. */
const APPLY_PHASES: readonly Phase[] = [
  { step: 'read', interrupt: 'after', says: () => 'reading each file again: it must still be as the diagnosis saw it', job: readAgain },
  { step: 'backup', says: (run) => `backing up to ${backupDir(run.prepared.stateDir, run.id)}`, job: backUp },
  { step: 'journal-begin', says: (run) => `writing the plan to ${journalPath(run.prepared.stateDir)}`, job: journalBegin },
  { step: 'candidate', times: withFiles, says: () => 'writing each new version beside its file', job: writeCandidates },
  { step: 'validate', times: withFiles, says: () => 'testing the whole configuration with the new version in place', job: validate },
  { step: 'swap', times: withFiles, says: () => 'putting the new versions in place (one atomic rename each)', job: swap },
  { step: 'command', numbered: true, times: (run) => run.ran.length, says: (run, i) => `running ${run.ran[i]!.change.command}`, job: command },
  { step: 'reload', times: (run) => (run.prepared.reload && run.prepared.nginx ? 1 : 0), says: (run) => `reloading nginx: ${commandLine(run.prepared.nginx!.reload, 'person')}`, job: reload },
  { step: 'verify', interrupt: 'before', says: () => 'sending the failing request through nginx again', job: verify },
  { step: 'journal-end', interrupt: 'never', says: () => 'writing the result to the journal', job: journalEnd },
];

/** Runs one phase (once, per command, or not at all), stopping at its boundaries when interrupted. */
async function runPhase(run: ApplyRun, phase: Phase): Promise<Ended> {
  const stopBefore = phase.interrupt !== 'after' && phase.interrupt !== 'never';
  const stopAfter = phase.interrupt !== 'before' && phase.interrupt !== 'never';
  const times = phase.times?.(run) ?? 1;
  for (let index = 0; index < times; index++) {
    if (stopBefore && run.gate.aborted) return await run.undoOrStop(run.interrupted());
    await run.gate.enter(phase.numbered ? `${phase.step}-${index + 1}` : phase.step, phase.says(run, index));
    if (stopAfter && run.gate.aborted) return await run.undoOrStop(run.interrupted());
    const ended = await phase.job(run, index);
    if (ended) return ended;
  }
  return undefined;
}

export async function runApply(prepared: Prepared, input: ApplyInput, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const run = new ApplyRun(prepared, input, options);
  if (!prepared.ok) return { ...run.outcome, failure: `not applied: ${prepared.refusal}` };
  try {
    for (const phase of APPLY_PHASES) {
      const ended = await runPhase(run, phase);
      if (ended) return ended;
    }
    return run.outcome;
  } catch (error) {
    return await run.failed(error);
  }
}
