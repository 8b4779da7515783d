/** A recording read from a file (--replay, practice's incidents), never more of it than a recording can be. */
import { readBounded } from '../read-bounded.js';
import { parseRecording, type Recording } from './recording.js';

/**
 * The largest recording read: 32 MiB. The bundled incidents are 12 to 61 KB; a session on a site whose
 * `nginx -T` prints 12 MB still fits. Parsing takes about ten times the file's size in memory, so the
 * ceiling bounds that too.
 */
export const RECORDING_SIZE_LIMIT = 32 * 1024 * 1024;

export function readRecordingFile(file: string, limit = RECORDING_SIZE_LIMIT): Recording {
  return parseRecording(readBounded(file, limit, 'the recording'), file);
}
