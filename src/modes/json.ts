import type { DiagnoseMode } from '../args.js';
import { onInterrupt } from '../fixes/apply/interrupt.js';
import { checkById } from '../checks/index.js';
import { startSession } from '../engine/session.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Flow } from '../flow/schema.js';
import type { HostSet } from '../hosts/host-set.js';
import { buildReport } from '../report/json.js';
import { firstCommands } from '../runner/look-ahead.js';
import { connectHosts, connectionEvents, describeHosts, isReachFailure } from '../drive/connect.js';
import { StepFailed, walkToEnd } from '../drive/driver.js';
import { planFix } from '../drive/fix.js';
import { Recorder } from '../record/recorder.js';
import { replayHosts, replayToEnd } from '../record/replay.js';
import { jsonText } from '../shell/sanitize.js';
import { keptReadFile } from './kept-read-file.js';
import { say } from '../shell/stderr.js';
import { EXIT } from '../report/exit-codes.js';
import { inputsOfRecording, readRecordingFile, saveAll, saveMarkdown, saveRecording, VERSION } from './run-files.js';

/** --json: no UI; walk the flow without asking anyone and print the report. */
export async function diagnoseJson(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode): Promise<number> {
  const notes: string[] = [];
  const replay = mode.replay ? readRecordingFile(mode.replay) : null;
  const recorder = mode.record ? new Recorder(VERSION) : null;
  let session = startSession(flow, replay ? inputsOfRecording(replay) : inputs);
  let hosts: HostSet;
  try {
    hosts = replay
      ? replayHosts(replay)
      : await connectHosts(mode.hosts, {
          asker: null,
          acceptNewHostKey: mode.acceptNewHostKey,
          notes,
          atLogin: firstCommands(session, checkById),
          // A recording keeps the commands a run without a kept read asks (the plain login probe).
          ...(recorder ? {} : { keptRead: (identity: string) => keptReadFile(identity) }),
        });
  } catch (e) {
    if (!isReachFailure(e)) throw e;
    const described = mode.hosts.map((h) => ({ role: h.role, label: h.target }));
    const report = buildReport(session, null, described, e.message, notes);
    const unsaved = saveAll([
      () => recorder && mode.record && saveRecording(mode.record, recorder, session, { hosts: described, notes, error: e.message }),
      () => mode.report && saveMarkdown(mode.report, report),
    ]);
    return printReport(report, unsaved);
  }
  if (recorder) hosts = recorder.wrap(hosts);
  let error: string | null = null;
  try {
    session = replay ? await replayToEnd(session, hosts, replay) : await walkToEnd(session, hosts);
  } catch (e) {
    if (!(e instanceof StepFailed)) throw e;
    error = e.message;
    if (e.session) session = e.session;
  }
  let fix = null;
  try {
    fix = error ? null : planFix(session);
  } catch (e) {
    error = `could not plan the fix: ${(e as Error).message}`;
  }
  notes.push(...connectionEvents(hosts));
  let report = buildReport(session, fix, describeHosts(hosts), error, notes);
  // From the apply until the report is out, Ctrl-C (once or twice) rolls the fix back and still reports it.
  const interrupt = new AbortController();
  const release = mode.apply ? onInterrupt(interrupt) : () => {};
  try {
    if (mode.apply) report = await (await import('./apply-json.js')).applyForJson(session, fix, hosts, report, interrupt.signal);
    const done = report;
    const unsaved = saveAll([
      () => recorder && mode.record && saveRecording(mode.record, recorder, session, { hosts: done.hosts, notes, error }),
      () => mode.report && saveMarkdown(mode.report, done),
    ]);
    const code = printReport(report, unsaved);
    await hosts.close();
    return code;
  } finally {
    release();
  }
}

/**
 * The report on stdout, always; then each side file (--record, --report) that could not be written, on
 * stderr. Such a failure ends with exit 3 (could not run: a file could not be written), the report's own
 * exitCode still saying what the diagnosis found.
 */
function printReport(report: { exitCode: number }, unsaved: string[]): number {
  process.stdout.write(`${jsonText(report)}\n`);
  for (const message of unsaved) say(`${message}; the JSON report on stdout is complete`);
  return unsaved.length ? EXIT.unreachable : report.exitCode;
}
