/** The files a session reads and writes besides its output: --replay, --record, --report. */
import { writeFileSync } from 'node:fs';
import { requestFacts } from '../facts/request.js';
import type { Session } from '../engine/session.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Recorder, RecordedHostInfo } from '../record/recorder.js';
import type { Recording } from '../record/recording.js';
import type { JsonReport } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';

declare const BADGATEWAY_VERSION: string | undefined;

export { readRecordingFile } from '../record/read-recording.js';

export const VERSION = typeof BADGATEWAY_VERSION === 'string' ? BADGATEWAY_VERSION : 'dev';

/** The request the recorded session followed, as the session's inputs. */
export function inputsOfRecording(recording: Recording): KnownFacts {
  return recording.inputs.url ? requestFacts(recording.inputs.url) : {};
}

/** Writes the recording readable by its owner only: it holds the box's config and process list. */
export function saveRecording(file: string, recorder: Recorder, session: Session, info: { hosts: RecordedHostInfo[]; notes?: string[]; error?: string | null }): void {
  writeFileSync(file, `${JSON.stringify(recorder.finish(session, info), null, 2)}\n`, { mode: 0o600 });
}

export function saveMarkdown(file: string, report: JsonReport): void {
  writeFileSync(file, renderMarkdown(report), { mode: 0o600 });
}
