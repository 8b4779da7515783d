/** A recording read from a file (--replay, practice's incidents), never more of it than a recording can be. */
import { BadInput } from '../errors.js';
import { requestFacts } from '../facts/request.js';
import { readBounded } from '../read-bounded.js';
import { parseRecording, RecordingError, type Recording } from './recording.js';

/**
 * The largest recording read: 32 MiB. The bundled incidents are 12 to 61 KB; a session on a site whose
 * `nginx -T` prints 12 MB still fits. Parsing takes about ten times the file's size in memory, so the
 * ceiling bounds that too.
 */
export const RECORDING_SIZE_LIMIT = 32 * 1024 * 1024;

export function readRecordingFile(file: string, limit = RECORDING_SIZE_LIMIT): Recording {
  const recording = parseRecording(readBounded(file, limit, 'the recording'), file);
  // The request is replayed as if given with --url: one that --url would refuse makes the file damaged.
  try {
    if (recording.inputs.url) requestFacts(recording.inputs.url);
  } catch (error) {
    if (!(error instanceof BadInput)) throw error;
    throw new RecordingError(`${file} is damaged: inputs.url: ${error.message}`);
  }
  return recording;
}
