/**
 * Whether badgateway applies a fix by itself, and which program reads each file it changes. Pure and
 * light: the fix screen asks it before offering "Apply this fix".
 */
import type { FpmPool, KnownFacts } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import type { FixPlan } from '../plan.js';
import { actionOf } from './commands.js';

/** Causes whose fix is the reload itself (nginx resolves names again when it loads its config). */
const RELOAD_IS_THE_FIX = new Set(['stale-dns']);

/** 'backend': gunicorn's supervisord program or a uwsgi app ini; neither has a test of its own, the restart and the verification decide. */
export type Program = { program: 'nginx'; test: string[] } | { program: 'php-fpm'; test: string[] } | { program: 'backend'; test: string[] };

/** Which program reads this file, and its test: nginx's config files, or a php-fpm pool's. */
export function programOf(facts: KnownFacts, file: string): Program | null {
  if (facts['nginx.config']?.files.some((f) => f.file === file) && facts['nginx.test']) return { program: 'nginx', test: facts['nginx.test'] };
  const pools: FpmPool[] = [...(facts['fpm.pool'] ? [facts['fpm.pool']] : []), ...(facts['fpm.pools'] ?? [])];
  for (const pool of pools) {
    const files = new Set([pool.conf, ...Object.values(pool.places).map((p) => p?.file), pool.section?.file]);
    if (files.has(file)) return { program: 'php-fpm', test: [pool.binary, '-t', '-y', pool.conf] };
  }
  if (facts['backend.settings']?.file === file) return { program: 'backend', test: [] };
  return null;
}

export type Applicability = { applicable: true } | { applicable: false; reason: string };

/** Whether badgateway applies this plan by itself; pure, so the fix screen can offer it (or say why not). */
export function applicability(plan: FixPlan | null, facts: KnownFacts, cause: string | null): Applicability {
  if (!plan) return { applicable: false, reason: 'there is no fix to apply' };
  const actions = plan.commands.map((c) => ({ c, action: actionOf(c, facts) }));
  const manual = actions.find((a) => a.action.kind === 'manual');
  if (manual) return { applicable: false, reason: `badgateway does not run "${commandLine(manual.c.argv, 'person')}" by itself: run the commands yourself` };
  for (const edit of plan.edits) {
    if (edit.before.trim() === '') return { applicable: false, reason: `the change at ${edit.file}:${edit.line} does not say which text it replaces: make it by hand` };
    if (!programOf(facts, edit.file)) return { applicable: false, reason: `${edit.file} is neither nginx's, php-fpm's, nor the backend's own config as badgateway read it: make the change by hand` };
  }
  const changes = actions.filter((a) => ['mode', 'service', 'selinux-boolean', 'continue'].includes(a.action.kind));
  const reloadOnly = actions.some((a) => a.action.kind === 'nginx-reload') && RELOAD_IS_THE_FIX.has(cause ?? '');
  if (!plan.edits.length && !changes.length && !reloadOnly) {
    return { applicable: false, reason: 'nothing here for badgateway to change: what is left needs a person (see the notes)' };
  }
  return { applicable: true };
}
