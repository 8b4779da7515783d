/** A recording read from a file (--replay, practice's incidents), never more of it than a recording can be. */
import { gunzipSync } from 'node:zlib';
import { BadInput } from '../errors.js';
import { requestFacts } from '../facts/request.js';
import { readBounded, readBoundedBytes, sizeText, UnreadableFile } from '../read-bounded.js';
import { parseRecording, RecordingError, type Recording } from './recording.js';

/**
 * The largest recording read: 32 MiB. The bundled incidents are 12 to 61 KB; a session on a site whose
 * `nginx -T` prints 12 MB still fits. Parsing takes about ten times the file's size in memory, so the
 * ceiling bounds that too.
 */
export const RECORDING_SIZE_LIMIT = 32 * 1024 * 1024;

/** A recording's text; one whose name ends in .gz (the incidents the package ships) is gunzipped, to the same ceiling. */
function recordingText(file: string, limit: number): string {
  if (!file.endsWith('.gz')) return readBounded(file, limit, 'the recording');
  try {
    return gunzipSync(readBoundedBytes(file, limit, 'the recording'), { maxOutputLength: limit }).toString('utf8');
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    const problem = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `it unpacks to more than ${sizeText(limit)}` : 'it is not gzip';
    throw new UnreadableFile('the recording', file, problem);
  }
}

export function readRecordingFile(file: string, limit = RECORDING_SIZE_LIMIT): Recording {
  const recording = parseRecording(recordingText(file, limit), file);
  // The request is replayed as if given with --url: one that --url would refuse makes the file damaged.
  try {
    if (recording.inputs.url) requestFacts(recording.inputs.url);
  } catch (error) {
    if (!(error instanceof BadInput)) throw error;
    throw new RecordingError(`${file} is damaged: inputs.url: ${error.message}`);
  }
  return recording;
}
