import { render } from 'ink';
import type { DiagnoseMode } from '../args.js';
import { currentNode, startSession } from '../engine/session.js';
import { exitCodeFor } from '../report/json.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Flow } from '../flow/schema.js';
import { singleHost, type HostSet } from '../hosts/host-set.js';
import { LocalHost } from '../hosts/local.js';
import type { Recorder } from '../record/recorder.js';
import type { StoreApi } from 'zustand/vanilla';
import { createSessionStore } from '../store/wizard-store.js';
import type { WizardState } from '../store/wizard-state.js';
import { erasingEarlyFrame } from '../ui/early-frame.js';
import { App } from '../ui/app.js';
import { BadInput, CannotRun } from '../errors.js';
import { EXIT } from './exit.js';
import { say } from '../shell/stderr.js';

/** Ink's first write starts by erasing the early frame, so the screen is never blank between the two. */
function eraseEarlyFrameOnFirstWrite(rows: number): void {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    process.stdout.write = write;
    const erase = erasingEarlyFrame(rows);
    const joined = typeof chunk === 'string' ? erase + chunk : Buffer.concat([Buffer.from(erase), chunk]);
    return (write as (...args: unknown[]) => boolean).call(process.stdout, joined, ...rest);
  }) as typeof process.stdout.write;
}

type SessionFiles = typeof import('./run-files.js');

/**
 * The wizard's store, wired to its hosts: a replay's, the boxes of --ssh/--host (connected behind the first
 * frame, asking the person through the store), or this machine. `keep` sees the hosts (wrapped to record).
 */
async function wizardStore(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode, files: SessionFiles | null, recorder: Recorder | null, keep: (set: HostSet) => HostSet): Promise<StoreApi<WizardState>> {
  const replay = files && mode.replay ? files.readRecordingFile(mode.replay) : null;
  if (replay && files) return createSessionStore({ flow, inputs: files.inputsOfRecording(replay), hosts: keep((await import('../record/replay.js')).replayHosts(replay)) });
  if (!mode.hosts.length) return createSessionStore({ flow, inputs, hosts: keep(singleHost(new LocalHost())) });
  return createSessionStore({
    flow,
    inputs,
    hostLabel: mode.hosts.map((h) => h.target).join(' '),
    connect: async (asker) => {
      const [{ connectHosts }, { firstCommands }, { checkById }, { keptReadFile }] = await Promise.all([
        import('../drive/connect.js'),
        import('../runner/look-ahead.js'),
        import('../checks/index.js'),
        import('./kept-read-file.js'),
      ]);
      const atLogin = firstCommands(startSession(flow, inputs), checkById);
      // A recording keeps the commands a run without a kept read asks (the plain login probe).
      const kept = recorder ? {} : { keptRead: (identity: string) => keptReadFile(identity) };
      return keep(await connectHosts(mode.hosts, { asker: recorder ? recorder.asker(asker) : asker, acceptNewHostKey: false, atLogin, ...kept }));
    },
  });
}

/** Runs the app until the person leaves; an apply under way is stopped at its next step and rolled back first. */
async function runApp(store: StoreApi<WizardState>, earlyRows: number): Promise<{ practiceNext: boolean }> {
  let practiceNext = false;
  if (earlyRows) eraseEarlyFrameOnFirstWrite(earlyRows);
  const app = render(<App store={store} onPractice={() => (practiceNext = true)} />);
  // SIGTERM or a hang-up while a fix is applied: stop it at its next step (it rolls back), then leave.
  const stop = () => {
    store.getState().quit();
    app.unmount();
  };
  process.on('SIGTERM', stop).on('SIGHUP', stop);
  await app.waitUntilExit();
  // Ctrl-C ends the app at once: an apply under way still rolls back before the process exits. The
  // terminal is no longer raw, so another Ctrl-C is a real SIGINT: it must not cut the rollback short.
  const holdOn = () => say('the fix is being rolled back; the box is left as it was once that is done');
  process.on('SIGINT', holdOn);
  if (store.getState().apply?.stage === 'applying') say('stopping the fix at its next step and rolling it back…');
  store.getState().quit();
  await store.getState().applying();
  process.off('SIGINT', holdOn).off('SIGTERM', stop).off('SIGHUP', stop);
  return { practiceNext };
}

/** --record and --report: the recording and the Markdown report of the session as it ended. */
async function saveFiles(state: WizardState, mode: DiagnoseMode, files: SessionFiles, recorder: Recorder | null, hosts: HostSet | null): Promise<void> {
  const error = state.phase === 'failed' ? state.error : null;
  const [{ buildReport }, { withApply }] = await Promise.all([import('../report/json.js'), import('../report/apply-report.js')]);
  const { describeHosts } = await import('../drive/connect.js');
  const described = hosts ? describeHosts(hosts) : mode.hosts.map((h) => ({ role: h.role, label: h.target }));
  const unsaved = files.saveAll([
    () => recorder && mode.record && files.saveRecording(mode.record, recorder, state.session, { hosts: described, notes: state.notes, error }),
    () => {
      if (!mode.report) return;
      const report = buildReport(state.session, error ? null : state.fix, described, error, state.notes);
      files.saveMarkdown(mode.report, state.apply?.stage === 'done' ? withApply(report, state.apply.outcome) : report);
    },
  ]);
  if (unsaved.length) throw new CannotRun(unsaved.join('; '));
}

/**
 * The wizard: its first frame renders at once (earlyRows: the rows of the plain first frame cli drew
 * while this module loaded); hosts connect and checks load behind it.
 */
export async function wizard(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode, earlyRows = 0): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new BadInput(
      'the wizard needs a terminal; for a report without one, use --json (badgateway --json --url URL). To practice on recorded incidents, run badgateway practice in a terminal (badgateway practice --list --json lists them).',
    );
  }
  // Recording and replaying load only when asked for: the first frame of a plain run must not wait.
  const files = mode.record || mode.replay || mode.report ? await import('./run-files.js') : null;
  const recorder = files && mode.record ? new (await import('../record/recorder.js')).Recorder(files.VERSION) : null;
  let hosts: HostSet | null = null;
  const keep = (set: HostSet) => (hosts = recorder ? recorder.wrap(set) : set);
  const store = await wizardStore(flow, inputs, mode, files, recorder, keep);
  const { practiceNext } = await runApp(store, earlyRows);
  const state = store.getState();
  if (files && (mode.record || mode.report)) await saveFiles(state, mode, files, recorder, hosts);
  if (practiceNext) return (await import('./practice.js')).practice(flow, null);
  if (state.phase === 'failed') return EXIT.unreachable;
  if (state.apply?.stage === 'done' && state.apply.outcome.verified) return EXIT.healthyOrFixed;
  return exitCodeFor(currentNode(state.session), null);
}
