/**
 * The journal of every change badgateway made on a host: JSON lines in a file on that host, written
 * through its Host. `badgateway undo` reads it back. Where it lives: /var/lib/badgateway as root,
 * ~/.local/state/badgateway otherwise (BADGATEWAY_STATE_DIR overrides both).
 */
import type { Box } from './box.js';
import type { ApplyRecord } from './record.js';

export const STATE_DIR_ENV = 'BADGATEWAY_STATE_DIR';

/** The folder for badgateway's backups, staging files and journal on this box. */
export async function stateDirOf(box: Box, override: string | undefined = process.env[STATE_DIR_ENV]): Promise<string> {
  if (override) return override.replace(/\/+$/, '') || '/';
  const id = await box.run({ argv: ['id', '-u'] });
  if (id.code === 0 && id.stdout.trim() === '0') return '/var/lib/badgateway';
  const home = await box.run({ argv: ['printenv', 'HOME'] });
  const dir = home.code === 0 ? home.stdout.trim() : '';
  if (!dir.startsWith('/')) throw new Error(`cannot tell where to keep backups on ${box.label}: not root, and HOME is not set`);
  return `${dir.replace(/\/+$/, '')}/.local/state/badgateway`;
}

export function journalPath(stateDir: string): string {
  return `${stateDir}/journal.jsonl`;
}

export async function writeJournal(box: Box, stateDir: string, record: ApplyRecord): Promise<void> {
  await box.mkdirs(stateDir, true);
  await box.append(journalPath(stateDir), JSON.stringify(record));
}

/** Every record of the journal, oldest first; lines that do not parse (a write cut short) are skipped. */
export function parseJournal(text: string): ApplyRecord[] {
  const out: ApplyRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as ApplyRecord;
      if (record && record.v === 1 && typeof record.id === 'string' && typeof record.event === 'string') out.push(record);
    } catch {
      /* a line cut short by a crash */
    }
  }
  return out;
}

/**
 * The last fix still in effect: its newest record, when that is `applied`, or a `begin` with no end (the
 * apply was killed before it could finish or roll back). Fixes already undone or rolled back are skipped.
 */
export function lastInEffect(records: readonly ApplyRecord[]): ApplyRecord | null {
  const newest = new Map<string, ApplyRecord>();
  const order: string[] = [];
  for (const r of records) {
    if (!newest.has(r.id)) order.push(r.id);
    newest.set(r.id, r);
  }
  for (const id of order.reverse()) {
    const r = newest.get(id) as ApplyRecord;
    if (r.event === 'applied' || r.event === 'begin') return r;
  }
  return null;
}

export async function readJournal(box: Box, stateDir: string): Promise<ApplyRecord[]> {
  const path = journalPath(stateDir);
  if (!(await box.exists(path))) return [];
  return parseJournal((await box.must({ argv: ['cat', '--', path] }, `reading ${path}`)).stdout);
}
