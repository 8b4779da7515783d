/** The files a session reads and writes besides its output: --replay, --record, --report. */
import { requestFacts } from '../facts/request.js';
import type { Session } from '../engine/session.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Recorder, RecordedHostInfo } from '../record/recorder.js';
import type { Recording } from '../record/recording.js';
import type { JsonReport } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { CannotRun } from '../errors.js';
import { writePrivateFile } from './private-file.js';

declare const BADGATEWAY_VERSION: string | undefined;

export { readRecordingFile } from '../record/read-recording.js';

export const VERSION = typeof BADGATEWAY_VERSION === 'string' ? BADGATEWAY_VERSION : 'dev';

/** The request the recorded session followed, as the session's inputs. */
export function inputsOfRecording(recording: Recording): KnownFacts {
  return { ...(recording.inputs.url ? requestFacts(recording.inputs.url) : {}), ...(recording.inputs.sinceMs ? { 'history.sinceMs': recording.inputs.sinceMs } : {}) };
}

/** Writes the recording readable by its owner only: it holds the box's config and process list. */
export function saveRecording(file: string, recorder: Recorder, session: Session, info: { hosts: RecordedHostInfo[]; notes?: string[]; error?: string | null }): void {
  writePrivateFile(file, `${JSON.stringify(recorder.finish(session, info), null, 2)}\n`, 'the recording');
}

export function saveMarkdown(file: string, report: JsonReport): void {
  writePrivateFile(file, renderMarkdown(report), 'the report');
}

/**
 * Runs each save (the recording, the report) even when one fails, so one file that cannot be written
 * does not cost the other; returns what could not be written, one message each.
 */
export function saveAll(saves: (() => void)[]): string[] {
  const failed: string[] = [];
  for (const save of saves) {
    try {
      save();
    } catch (error) {
      if (!(error instanceof CannotRun)) throw error;
      failed.push(error.message);
    }
  }
  return failed;
}
