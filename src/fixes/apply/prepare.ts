/**
 * Before asking: what applying this fix would do, exactly. Which plans badgateway applies by itself
 * (pure: applicability), then the files read again and the new text computed (prepareApply), so the
 * consent screen shows the real diff and the commands as they will run. Nothing on the box changes here.
 */
import type { KnownFacts } from '../../facts/keys.js';
import type { HostSet } from '../../hosts/host-set.js';
import type { ConfigEdit, FixPlan, PlannedCommand } from '../plan.js';
import { Box, BoxError, sha256 } from './box.js';
import { actionOf, type CommandAction, supervisorUpdate } from './commands.js';
import { applyEdits } from './edit-text.js';
import { applicability, programOf, type Program } from './applicable.js';
import { stateDirOf } from './journal.js';
import type { BackendHandles, NginxHandles } from './record.js';

export { applicability, type Applicability } from './applicable.js';

export interface ApplyInput {
  hosts: HostSet;
  facts: KnownFacts;
  plan: FixPlan;
  cause: string | null;
  title: string;
  /** Where backups and the journal go; default: BADGATEWAY_STATE_DIR, else by the box's user. */
  stateDir?: string;
}

export interface PreparedFile {
  file: string;
  path: string;
  program: 'nginx' | 'php-fpm' | 'backend';
  edits: ConfigEdit[];
  text: string;
  newText: string;
  sha256: string;
  diff: string[];
  /** The program's own test of its whole config. */
  test: string[];
  /** This is nginx's main file (a fallback test can point -c at its candidate). */
  main: boolean;
}

export interface PreparedCommand {
  planned: PlannedCommand;
  action: CommandAction;
  run: boolean;
  skipped?: string;
}

export interface Prepared {
  ok: boolean;
  /** Why badgateway will not apply this fix by itself (then the person makes the change). */
  refusal: string | null;
  host: string;
  files: PreparedFile[];
  commands: PreparedCommand[];
  /** nginx reloads after the change (its config changed, or the reload is the fix). */
  reload: boolean;
  nginx: NginxHandles | null;
  backend: BackendHandles | null;
  stateDir: string;
}

export function nginxHandles(facts: KnownFacts): NginxHandles | null {
  const test = facts['nginx.test'];
  const reload = facts['nginx.reload'];
  if (!test || !reload) return null;
  const config = facts['nginx.config'];
  const prefix = facts['nginx.prefix'] ?? '/';
  const main = config?.tree.find((d) => d.directive === 'error_log')?.args[0];
  const mainErrorLog = main && main !== 'stderr' && !main.includes(':') ? (main.startsWith('/') ? main : `${prefix.replace(/\/*$/, '')}/${main}`) : (facts['nginx.defaultErrorLog'] ?? null);
  return { test, reload, args: facts['nginx.args'] ?? [], masterPid: facts['nginx.masterPid'] ?? null, mainErrorLog };
}

function backendHandles(facts: KnownFacts, plan: FixPlan): BackendHandles | null {
  if (!facts['service.unit']) return null;
  const start = facts['service.start'] ?? [];
  const conf = start.includes('--fpm-config') ? (start[start.indexOf('--fpm-config') + 1] ?? null) : null;
  // A supervisord program whose definition changes restarts with its new (or, undone, its old) command only through update.
  const update = plan.edits.some((e) => e.file === facts['backend.settings']?.file) ? supervisorUpdate(facts) : null;
  return { start, stop: facts['service.stop'] ?? [], restart: update ?? facts['service.restart'] ?? [], fpmConf: conf, fpmBinary: conf ? (start[0] ?? null) : null };
}

function commandsOf(plan: FixPlan, facts: KnownFacts): PreparedCommand[] {
  const hasEdits = plan.edits.length > 0;
  return plan.commands.flatMap((planned): PreparedCommand[] => {
    const action = actionOf(planned, facts);
    if (action.kind === 'nginx-test' || action.kind === 'nginx-reload') return [];
    if (action.kind === 'read-only') return [{ planned, action, run: false, skipped: 'it only shows something: run it yourself to read it' }];
    if (!planned.durable && hasEdits) return [{ planned, action, run: false, skipped: 'a stopgap that a restart undoes: the durable change below replaces it' }];
    return [{ planned, action, run: true }];
  });
}

const refuse = (base: Omit<Prepared, 'ok' | 'refusal'>, refusal: string): Prepared => ({ ...base, ok: false, refusal });

/** Reads every file the fix changes (on the proxy, through its Host) and computes the new text. */
export async function prepareApply(input: ApplyInput): Promise<Prepared> {
  const { facts, plan } = input;
  const box = new Box(input.hosts.proxy);
  const commands = commandsOf(plan, facts);
  const nginxChanges = plan.edits.some((e) => programOf(facts, e.file)?.program === 'nginx');
  const reload = nginxChanges || (plan.commands.some((c) => actionOf(c, facts).kind === 'nginx-reload') && !plan.edits.length);
  const base: Omit<Prepared, 'ok' | 'refusal'> = { host: box.label, files: [], commands, reload, nginx: nginxHandles(facts), backend: backendHandles(facts, plan), stateDir: input.stateDir ?? '' };
  const can = applicability(plan, facts, input.cause);
  if (!can.applicable) return refuse(base, can.reason);
  if (reload && !base.nginx) return refuse(base, 'nginx test and reload commands are not known for this box');
  try {
    base.stateDir = input.stateDir ?? (await stateDirOf(box));
    const byFile = new Map<string, ConfigEdit[]>();
    for (const edit of plan.edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
    const mainConf = facts['nginx.confPath'] ? await box.realPath(facts['nginx.confPath']).catch(() => null) : null;
    for (const [file, edits] of byFile) {
      const program = programOf(facts, file) as Program;
      const path = await box.realPath(file);
      const text = await box.read(path);
      const edited = applyEdits(text, edits, file);
      if (!edited.ok) return refuse(base, edited.problem);
      base.files.push({
        file,
        path,
        program: program.program,
        edits,
        text,
        newText: edited.text,
        sha256: sha256(text),
        diff: edited.diff,
        test: program.test,
        main: program.program === 'nginx' && path === mainConf,
      });
    }
    if (new Set(base.files.map((f) => f.path)).size !== base.files.length) return refuse(base, 'two of the files to change are the same file (a symlink): make the change by hand');
  } catch (error) {
    if (error instanceof BoxError) return refuse(base, error.message);
    throw error;
  }
  return { ...base, ok: true, refusal: null };
}

export function backupDir(stateDir: string, id: string): string {
  return `${stateDir}/backups/${id}`;
}

export function stagingDir(stateDir: string, id: string): string {
  return `${stateDir}/staging/${id}`;
}
