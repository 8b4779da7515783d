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
import { inputsOfRecording, readRecordingFile, saveMarkdown, saveRecording, VERSION } from './run-files.js';
import { jsonText } from '../shell/sanitize.js';

/** --json: no UI; walk the flow without asking anyone and print the report. */
export async function diagnoseJson(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode): Promise<number> {
  const notes: string[] = [];
  const replay = mode.replay ? readRecordingFile(mode.replay) : null;
  const recorder = mode.record ? new Recorder(VERSION) : null;
  let session = startSession(flow, replay ? inputsOfRecording(replay) : inputs);
  let hosts: HostSet;
  try {
    hosts = replay ? replayHosts(replay) : await connectHosts(mode.hosts, { asker: null, acceptNewHostKey: mode.acceptNewHostKey, notes, atLogin: firstCommands(session, checkById) });
  } catch (e) {
    if (!isReachFailure(e)) throw e;
    const described = mode.hosts.map((h) => ({ role: h.role, label: h.target }));
    const report = buildReport(session, null, described, e.message, notes);
    if (recorder && mode.record) saveRecording(mode.record, recorder, session, { hosts: described, notes, error: e.message });
    if (mode.report) saveMarkdown(mode.report, report);
    process.stdout.write(`${jsonText(report)}\n`);
    return report.exitCode;
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
    if (recorder && mode.record) saveRecording(mode.record, recorder, session, { hosts: report.hosts, notes, error });
    if (mode.report) saveMarkdown(mode.report, report);
    process.stdout.write(`${jsonText(report)}\n`);
    await hosts.close();
  } finally {
    release();
  }
  return report.exitCode;
}
