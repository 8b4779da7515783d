/** The files a session reads and writes besides its output: --replay, --record, --report. */
import { readFileSync, writeFileSync } from 'node:fs';
import { requestFacts } from '../facts/request.js';
import type { Session } from '../engine/session.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Recorder, RecordedHostInfo } from '../record/recorder.js';
import { parseRecording, RecordingError, type Recording } from '../record/recording.js';
import type { JsonReport } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';

declare const BADGATEWAY_VERSION: string | undefined;

export const VERSION = typeof BADGATEWAY_VERSION === 'string' ? BADGATEWAY_VERSION : 'dev';

export function readRecordingFile(file: string): Recording {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RecordingError(`cannot read the recording ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseRecording(text, file);
}

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
