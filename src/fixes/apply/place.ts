/**
 * Where a new version of a file is written before it replaces the original. A rename is atomic only
 * within one file system, so: badgateway's own staging folder when it is on the same one (never inside
 * anything nginx includes); otherwise a dot-name beside the original, and only if no include pattern of
 * the config would load it.
 */
import { posix } from 'node:path';
import type { Box } from './box.js';
import { BoxError } from './box.js';
import { includedBy } from './include-globs.js';
import { stagingDir } from './prepare.js';

export async function candidatePath(box: Box, stateDir: string, id: string, index: number, target: string, patterns: readonly string[]): Promise<string> {
  const staging = stagingDir(stateDir, id);
  await box.mkdirs(staging);
  const name = posix.basename(target);
  const folder = posix.dirname(target);
  if ((await box.device(staging)) === (await box.device(folder))) {
    const path = `${staging}/${index}-${name}`;
    if (!includedBy(patterns, path)) return path;
  }
  return besidePath(target, id, patterns, `${stagingDir(stateDir, id)} is on another file system`);
}

/** A dot-name in the target's own folder, refused when an include pattern of the config would load it. */
export function besidePath(target: string, id: string, patterns: readonly string[], why = 'it must be in the same folder'): string {
  const beside = `${posix.dirname(target)}/.${posix.basename(target)}.badgateway-${id}`;
  const hit = includedBy(patterns, beside);
  if (hit) throw new BoxError(`no safe place for the new version of ${target}: ${why}, and nginx's "include ${hit}" would load a file beside it`);
  return beside;
}
