import { render } from 'ink';
import type { Flow } from '../flow/schema.js';
import { listIncidents, loadIncident, NOT_BUNDLED } from '../practice/incidents.js';
import { createPracticeRootStore } from '../practice/practice-store.js';
import { PracticeRoot } from '../ui/practice-app.js';
import { BadInput } from '../errors.js';
import { jsonText, oneLine } from '../shell/sanitize.js';

/** `badgateway practice --list [--json]`: the bundled incidents, one a line or as JSON. */
export function listPractice(json: boolean): number {
  const incidents = listIncidents();
  if (json) {
    process.stdout.write(`${jsonText(incidents.map(({ id, cause, title }) => ({ id, cause, title })))}\n`);
    return 0;
  }
  for (const i of incidents) process.stdout.write(`${oneLine(`${i.id.padEnd(24)} ${i.cause.padEnd(22)} ${i.title}`)}\n`);
  for (const n of NOT_BUNDLED) process.stdout.write(`(no incident for ${n.cause}: ${n.why})\n`);
  return 0;
}

/** `badgateway practice [INCIDENT]`: the training wizard, on recorded incidents only (no box is touched). */
export async function practice(flow: Flow, incident: string | null): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new BadInput('practice needs a terminal; badgateway practice --list --json lists the incidents');
  }
  const incidents = listIncidents();
  // The store loads the incident asked for at once: an unknown name fails here, before the screen opens.
  const store = createPracticeRootStore({ flow, incidents, load: (id) => loadIncident(id), initial: incident ?? undefined });
  const app = render(<PracticeRoot store={store} />);
  await app.waitUntilExit();
  return 0;
}
