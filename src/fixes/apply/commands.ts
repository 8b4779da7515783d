/**
 * What each planned command is, for applying it: the nginx test and reload (run by the apply itself, with
 * proof), a change badgateway knows how to undo, a command that only reads, or one it will not run by
 * itself. Pure: from the command and the session's facts.
 */
import type { KnownFacts } from '../../facts/keys.js';
import type { PlannedCommand } from '../plan.js';

export type CommandAction =
  | { kind: 'nginx-test' }
  | { kind: 'nginx-reload' }
  | { kind: 'mode'; tool: 'chmod' | 'chgrp' | 'chown'; path: string }
  | { kind: 'service'; verb: 'start' | 'stop' | 'restart' }
  | { kind: 'selinux-boolean'; name: string; value: string }
  | { kind: 'continue'; pids: number[] }
  | { kind: 'read-only' }
  | { kind: 'manual' };

const same = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length > 0 && a.length === b.length && a.every((w, i) => w === b[i]);

/** Programs whose use in a plan only shows something (a log, a setting): they change nothing. */
const READERS = new Set(['tail', 'cat', 'head', 'journalctl', 'ls', 'ss', 'ps', 'grep', 'ausearch', 'stat', 'getent', 'openssl', 'curl', 'ip', 'nft', 'dmesg']);

export function actionOf(command: PlannedCommand, facts: KnownFacts): CommandAction {
  const { argv } = command;
  const [program = ''] = argv;
  if (same(facts['nginx.test'], argv)) return { kind: 'nginx-test' };
  if (same(facts['nginx.reload'], argv)) return { kind: 'nginx-reload' };
  if ((program === 'chmod' || program === 'chgrp' || program === 'chown') && argv.length === 4 && argv[2] === '--') {
    return { kind: 'mode', tool: program, path: argv[3] as string };
  }
  if (same(facts['service.start'], argv)) return { kind: 'service', verb: 'start' };
  if (same(facts['service.restart'], argv)) return { kind: 'service', verb: 'restart' };
  if (same(facts['service.stop'], argv)) return { kind: 'service', verb: 'stop' };
  if (same(supervisorUpdate(facts) ?? undefined, argv)) return { kind: 'service', verb: 'restart' };
  const stopped = facts['backend.stoppedPids'] ?? [];
  if (program === 'kill' && argv[1] === '-CONT' && argv[2] === '--' && argv.length > 3 && argv.slice(3).every((pid) => stopped.includes(Number(pid)))) {
    return { kind: 'continue', pids: argv.slice(3).map(Number) };
  }
  if (program === 'setsebool' && argv.length === 4 && argv[1] === '-P') return { kind: 'selinux-boolean', name: argv[2] as string, value: argv[3] as string };
  if (READERS.has(program) || (program === 'systemctl' && argv[1] === 'show')) return { kind: 'read-only' };
  return { kind: 'manual' };
}

/** supervisord reads a program's changed definition, and restarts it, only on `supervisorctl update NAME`. */
export function supervisorUpdate(facts: KnownFacts): string[] | null {
  const unit = facts['service.unit'];
  return facts['service.manager'] === 'supervisor' && unit ? ['supervisorctl', 'update', unit] : null;
}

/** `stat` of a path before chmod/chgrp/chown: octal mode, owner and group by name and number. */
export function statCommand(path: string): string[] {
  return ['stat', '-c', '%a %U %G %u %g', '--', path];
}

export interface Ownership {
  mode: string;
  user: string;
  group: string;
  uid: string;
  gid: string;
}

export function parseOwnership(stdout: string): Ownership | null {
  const m = /^([0-7]{3,4}) (\S+) (\S+) (\d+) (\d+)$/.exec(stdout.trim());
  return m ? { mode: m[1] as string, user: m[2] as string, group: m[3] as string, uid: m[4] as string, gid: m[5] as string } : null;
}

/** The command that puts a path's mode or owner back as it was, and what changed, in words. */
export function modeUndo(action: Extract<CommandAction, { kind: 'mode' }>, before: Ownership, after: Ownership | null): { undo: string[]; changed: string } {
  const { tool, path } = action;
  if (tool === 'chmod') return { undo: ['chmod', before.mode, '--', path], changed: `mode of ${path}: ${before.mode} -> ${after?.mode ?? '?'}` };
  // Numbers, not names: a name the box no longer knows would make the undo fail.
  if (tool === 'chgrp') return { undo: ['chgrp', before.gid, '--', path], changed: `group of ${path}: ${before.group} -> ${after?.group ?? '?'}` };
  return { undo: ['chown', `${before.uid}:${before.gid}`, '--', path], changed: `owner of ${path}: ${before.user}:${before.group} -> ${after ? `${after.user}:${after.group}` : '?'}` };
}

/** A bare php-fpm started again by its binary: its master must be found afterwards to be stopped. */
export function fpmConfOf(argv: readonly string[]): string | null {
  const at = argv.indexOf('--fpm-config');
  return /php-fpm/.test(argv[0] ?? '') && at >= 0 ? (argv[at + 1] ?? null) : null;
}

/** A stop by PID (`kill -QUIT -- 123`): the apply waits until that process is gone before going on. */
export function killedPid(argv: readonly string[]): number | null {
  if (argv[0] !== 'kill' || argv.length !== 4 || !/^-[A-Z0-9]+$/.test(argv[1] ?? '') || argv[2] !== '--') return null;
  // SIGCONT wakes a process and SIGSTOP pauses it: neither makes it go away.
  if (argv[1] === '-CONT' || argv[1] === '-STOP' || argv[1] === '-0') return null;
  const pid = Number(argv[3]);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}
