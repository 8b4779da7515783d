/** Applying a fix: prepare (read, compute, nothing changes), then run (the safe way, with proof and rollback). */
export { applicability, prepareApply, type ApplyInput, type Prepared } from './prepare.js';
export { previewOf, type PreviewLine } from './preview.js';
export { runApply, type ApplyOptions, type ApplyOutcome, type Finding } from './run.js';
export { undoLast, type UndoOutcome } from './undo.js';
export { stderrSink, type ApplyEvent } from './steps.js';
