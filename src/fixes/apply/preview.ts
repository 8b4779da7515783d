/**
 * What the person agrees to, in order: every file backed up and changed (the diff), the test, the
 * commands as they will run, the reload, the proof. Pure: from the prepared apply.
 */
import type { KnownFacts } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import type { Prepared } from './prepare.js';
import { backupDir } from './prepare.js';
import { validateArgv } from './validate.js';

export interface PreviewLine {
  kind: 'heading' | 'text' | 'command' | 'removed' | 'added' | 'context' | 'skipped';
  text: string;
}

const TIME = '<time>';

export function previewOf(prepared: Prepared, facts: KnownFacts): PreviewLine[] {
  const out: PreviewLine[] = [];
  let step = 0;
  const add = (kind: PreviewLine['kind'], text: string) => out.push({ kind, text: kind === 'heading' ? `${++step}. ${text}` : text });
  if (!prepared.ok) {
    add('text', `badgateway will not apply this fix by itself: ${prepared.refusal}`);
    return out;
  }
  if (prepared.files.length) {
    add('heading', `Back up ${prepared.files.length === 1 ? 'the file' : `the ${prepared.files.length} files`} to ${backupDir(prepared.stateDir, TIME)}/`);
    add('heading', 'Write the new version next to it (outside every folder nginx includes) and change:');
    for (const f of prepared.files) {
      add('text', `${f.file}${f.path !== f.file ? ` (really ${f.path})` : ''}`);
      for (const line of f.diff) add(line.startsWith('-') ? 'removed' : line.startsWith('+') ? 'added' : 'context', line);
    }
    const tests = [...new Map(prepared.files.map((f) => [f.test.join('\0'), f.test])).values()];
    add('heading', 'Test the whole configuration with the new version in place, in a private mount namespace (nothing else sees it yet):');
    for (const test of tests) add('command', commandLine(validateArgv([], test), 'person'));
    add('heading', 'Put the new version in place in one atomic step (mv on the same file system)');
  }
  const run = prepared.commands.filter((c) => c.run);
  if (run.length) {
    add('heading', `Run, and record what each changes and how to undo it:`);
    for (const c of run) add('command', `${commandLine(c.planned.argv, 'person')}${c.planned.durable ? '' : '   (a stopgap: undone by the next restart)'}`);
  }
  for (const c of prepared.commands.filter((x) => !x.run)) add('skipped', `not run: ${commandLine(c.planned.argv, 'person')}: ${c.skipped}`);
  if (prepared.reload && prepared.nginx) {
    add('heading', 'Reload nginx (never a restart: open connections finish), then check that new workers started:');
    add('command', commandLine(prepared.nginx.reload, 'person'));
  }
  const url = facts['request.url'];
  if (url) add('heading', `Send ${facts['request.method'] ?? 'GET'} ${url} through nginx again: it must not answer 502/504, and nginx must log no new upstream error for it.`);
  add('text', 'If the test, the reload or that request fails: the backups go back, nginx reloads again, and the report says so.');
  add('text', `Every change is written to ${prepared.stateDir}/journal.jsonl on ${prepared.host}; "badgateway undo" reverts the last fix.`);
  return out;
}
