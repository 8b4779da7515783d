/**
 * `badgateway undo`: reverts the last fix badgateway applied on a host, from that host's journal:
 * files restored from their backups (only if still as badgateway left them), recorded undo commands
 * run, nginx reloaded with proof. Says what it did.
 */
import { posix } from 'node:path';
import type { Host } from '../../hosts/host.js';
import { parsePs } from '../../system/ps.js';
import { Box } from './box.js';
import { includePatterns } from './include-globs.js';
import { journalPath, lastInEffect, readJournal, stateDirOf, writeJournal } from './journal.js';
import type { ApplyRecord } from './record.js';
import { revert } from './revert.js';
import { StepGate, type EventSink } from './steps.js';
import type { NginxConfig } from '../../nginx/config-types.js';
import { parseDump } from '../../nginx/parse-dump.js';
import { configFromRead } from '../../nginx/read-check.js';
import { configReadCommand, parseConfigRead } from '../../system/config-read.js';
import { configDumpCommand } from '../../system/nginx-t.js';
import { nginxMasters } from '../../system/ps.js';

export interface UndoOutcome {
  undone: boolean;
  /** The fix that was reverted (its journal id, cause, when). */
  fix: { id: string; cause: string | null; title: string; at: string; event: string } | null;
  lines: string[];
  problems: string[];
  journal: string;
  host: string;
}

/**
 * The running master's config, read as the diagnosis reads it: from the files it loaded (config-read.ts),
 * with nginx -T only where the reader cannot be sure they are what nginx loaded, or no master runs.
 */
async function runningConfig(box: Box, binary: string, args: readonly string[], masterPid: number | null): Promise<NginxConfig | null> {
  if (masterPid !== null) {
    const run = await box.run(configReadCommand(binary, masterPid, args));
    const read = parseConfigRead(run);
    if (read.kind === 'dumped') return run.code === 0 ? parseDump(run.stdout) : null;
    if (read.kind === 'read') {
      const found = configFromRead(run.stdout, read);
      if ('config' in found) return found.config;
    }
  }
  const dump = await box.run(configDumpCommand(binary, args));
  return dump.code === 0 ? parseDump(dump.stdout) : null;
}

/** Include patterns of the running config, so a restore never writes where nginx would load it. */
async function patternsNow(box: Box, record: ApplyRecord): Promise<string[]> {
  if (!record.nginx) return [];
  const ps = await box.run({ argv: ['ps', '-eo', 'pid=,ppid=,user:32=,args='] });
  const master = nginxMasters(parsePs(ps.stdout)).find((m) => m.args.join('\0') === record.nginx?.args.join('\0'));
  const binary = master?.binary ?? record.nginx.test[0] ?? 'nginx';
  const config = await runningConfig(box, binary, record.nginx.args, master?.pid ?? null);
  if (!config) return [];
  const conf = config.files[0]?.file ?? '/etc/nginx/nginx.conf';
  return includePatterns(config, posix.dirname(conf));
}

export async function undoLast(host: Host, options: { onEvent?: EventSink; stateDir?: string } = {}): Promise<UndoOutcome> {
  const box = new Box(host);
  const stateDir = options.stateDir ?? (await stateDirOf(box));
  const base: UndoOutcome = { undone: false, fix: null, lines: [], problems: [], journal: journalPath(stateDir), host: host.label };
  const records = await readJournal(box, stateDir);
  const record = lastInEffect(records);
  if (!record) return { ...base, problems: [`no fix applied by badgateway is in effect on ${host.label} (journal ${journalPath(stateDir)})`] };
  const fix = { id: record.id, cause: record.cause, title: record.title, at: record.at, event: record.event };
  const gate = new StepGate(options.onEvent ?? (() => {}), undefined, []);
  // A `begin` without an end: the apply was killed; whatever it reloaded is unknown, so reload if nginx files come back.
  const reloaded = record.event === 'applied' && record.changes.some((c) => c.kind === 'reload');
  const done = await revert(box, record, gate, await patternsNow(box, record), reloaded);
  const undoneRecord: ApplyRecord = { ...record, event: 'undone', at: new Date().toISOString(), failure: done.problems.length ? done.problems.join('; ') : null };
  await writeJournal(box, stateDir, undoneRecord);
  return { ...base, undone: done.ok, fix, lines: done.lines, problems: done.problems };
}
