import { existsSync, readdirSync } from 'node:fs';
import { BadInput } from '../errors.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAUSES } from '../causes.js';
import { readRecordingFile } from '../record/read-recording.js';
import type { Recording } from '../record/recording.js';

/** One bundled incident: a session recorded on a real broken nginx by scripts/record-incidents.ts. */
export interface Incident {
  id: string;
  cause: string;
  title: string;
  story: string;
  file: string;
}

/** Causes no bundled incident shows, and why. */
export const NOT_BUNDLED: { cause: string; why: string }[] = [{ cause: 'selinux', why: 'SELinux cannot run on Debian, where the incidents are recorded, so there is no real recording of it' }];

/**
 * The incidents: in the bundle's folder (dist/incidents, gzipped by scripts/build.mjs, as the package ships
 * them) or, in development, beside src/ and flows/; null when there are none.
 */
export function incidentsDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const beside = existsSync(join(dir, 'badgateway.js')) || existsSync(join(dir, 'flows'));
    if (beside && existsSync(join(dir, 'incidents'))) return join(dir, 'incidents');
    dir = dirname(dir);
  }
  return null;
}

/** An incident file's name without .json or .json.gz; null for another file. */
const incidentName = (name: string): string | null => /^(.+)\.json(\.gz)?$/.exec(name)?.[1] ?? null;

function order(cause: string): number {
  const at = (CAUSES as readonly string[]).indexOf(cause);
  return at < 0 ? CAUSES.length : at;
}

/** The incidents in a folder, in the order of DESIGN.md's causes. */
export function listIncidents(dir: string | null = incidentsDir()): Incident[] {
  if (!dir || !existsSync(dir)) return [];
  const found = readdirSync(dir)
    .filter((name) => incidentName(name) !== null)
    .map((name): Incident => {
      const file = join(dir, name);
      const recording = readRecordingFile(file);
      const id = recording.incident?.id ?? incidentName(name)!;
      return { id, cause: recording.diagnosis.cause ?? 'none', title: recording.incident?.title ?? id, story: recording.incident?.story ?? '', file };
    });
  return found.sort((a, b) => order(a.cause) - order(b.cause) || a.id.localeCompare(b.id));
}

export class UnknownIncident extends BadInput {
  override name = 'UnknownIncident';
}

export function loadIncident(id: string, dir: string | null = incidentsDir()): { incident: Incident; recording: Recording } {
  const all = listIncidents(dir);
  const incident = all.find((i) => i.id === id);
  if (!incident) throw new UnknownIncident(`no incident ${id}; the incidents are: ${all.map((i) => i.id).join(', ') || 'none (incidents/ is missing)'}`);
  return { incident, recording: readRecordingFile(incident.file) };
}
