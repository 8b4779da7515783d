/**
 * Running as root on the remote box: the decision (root already, sudo without a password, sudo with
 * one, or unprivileged and why) and the command line each mode sends. Pure.
 */
import { commandLine, quote } from '../../shell/quote.js';

export type Privilege =
  | { mode: 'root' }
  /** sudo -n works: commands run as `sudo -n -- ...`. */
  | { mode: 'sudo' }
  /** sudo with the password the person gave, sent on stdin only when sudo asks for it. */
  | { mode: 'sudo-password' }
  /** sudo wants a password and none was given yet: commands run unprivileged until then. */
  | { mode: 'needs-password'; detail: string }
  | { mode: 'unprivileged'; reason: 'sudo-missing' | 'sudo-refused' | 'declined' | 'uid-unknown'; detail: string };

export interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
  failure?: string;
}

/** Markers for one host: the prompt sudo -S prints, and the line printed once the command really starts. */
export interface SudoMarkers {
  prompt: string;
  ready: string;
}

export function makeMarkers(nonce: string): SudoMarkers {
  return { prompt: `[bgw-sudo-${nonce}]`, ready: `[bgw-ready-${nonce}]` };
}

/** sbin tools (nginx, ss) are missing from a normal user's PATH; LC_ALL=C keeps messages parseable. */
const ENV = 'env LC_ALL=C PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"';

/**
 * The remote command line for argv in this mode: values quoted by commandLine(), nothing by hand.
 * With `killAfterS`, coreutils timeout kills the command on the box itself: sshd ignores "signal"
 * requests for root logins (its monitor runs those sessions) and cannot signal a command under sudo.
 */
export function remoteCommand(argv: readonly string[], privilege: Privilege, markers: SudoMarkers, killAfterS?: number): string {
  if (killAfterS !== undefined) argv = ['timeout', '-s', 'KILL', String(killAfterS), ...argv];
  switch (privilege.mode) {
    case 'sudo':
      return `sudo -n -- ${ENV} ${commandLine(argv)}`;
    case 'sudo-password': {
      // -k: never a cached login, so sudo asks every time and the password is never left unread.
      // The shell prints the ready marker after sudo let it start: only then is the command's stdin sent.
      const script = `printf '%s\\n' '${markers.ready}' >&2; exec "$@"`;
      return `sudo -S -k -p ${quote(markers.prompt)} -- ${ENV} ${commandLine(['sh', '-c', script, 'sh', ...argv])}`;
    }
    default:
      return `${ENV} ${commandLine(argv)}`;
  }
}

/** What `id -u` says: root or not; null when it did not answer a number. */
export function isRoot(run: Output): boolean | null {
  const uid = run.stdout.trim();
  if (run.code !== 0 || !/^\d+$/.test(uid)) return null;
  return uid === '0';
}

const MISSING = /(sudo'?: No such file or directory|sudo: (command )?not found)/i;
const REFUSED = /not in the sudoers file|may not run sudo|is not allowed to execute|not allowed to run sudo/i;

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/** What `sudo -n true` says about this user. */
export function fromSudoProbe(run: Output): Privilege {
  if (run.code === 0) return { mode: 'sudo' };
  if (run.code === 127 || run.failure === 'not-found' || MISSING.test(run.stderr)) {
    return { mode: 'unprivileged', reason: 'sudo-missing', detail: 'sudo is not installed' };
  }
  if (/a password is required/i.test(run.stderr)) return { mode: 'needs-password', detail: 'sudo asks for a password' };
  if (REFUSED.test(run.stderr)) return { mode: 'unprivileged', reason: 'sudo-refused', detail: firstLine(run.stderr) };
  return { mode: 'unprivileged', reason: 'sudo-refused', detail: firstLine(run.stderr) || run.failure || `sudo -n true exited with ${run.code}` };
}

export type PasswordVerdict = { ok: true } | { ok: false; reason: 'wrong' | 'refused'; detail: string };

/** What running `true` through sudo with the given password says. */
export function fromPasswordCheck(run: Output): PasswordVerdict {
  if (run.code === 0) return { ok: true };
  if (run.failure === 'sudo-password-rejected' || /incorrect password|Sorry, try again/i.test(run.stderr)) {
    return { ok: false, reason: 'wrong', detail: 'sudo did not accept that password' };
  }
  if (REFUSED.test(run.stderr)) return { ok: false, reason: 'refused', detail: firstLine(run.stderr) };
  return { ok: false, reason: 'refused', detail: firstLine(run.stderr) || run.failure || `sudo exited with ${run.code}` };
}

/** How far sudo -S got, from the stderr seen so far: how many times it asked, and whether the command started. */
export function sudoProgress(stderr: string, markers: SudoMarkers): { prompts: number; ready: boolean } {
  return { prompts: stderr.split(markers.prompt).length - 1, ready: stderr.includes(`${markers.ready}\n`) };
}

/** The command's own stderr: sudo's prompts and the ready line taken out. */
export function cleanStderr(stderr: string, markers: SudoMarkers): string {
  return stderr.split(`${markers.ready}\n`).join('').split(markers.prompt).join('');
}

/** A line for the report: how commands run on this host. */
export function describePrivilege(privilege: Privilege, user: string): string {
  switch (privilege.mode) {
    case 'root':
      return `as root (${user})`;
    case 'sudo':
      return `as root through sudo (${user}, no password needed)`;
    case 'sudo-password':
      return `as root through sudo (${user}, with the password given)`;
    case 'needs-password':
      return `as ${user}, unprivileged: sudo needs a password and none was given`;
    case 'unprivileged':
      return `as ${user}, unprivileged: ${privilege.detail}; checks that need root (nginx -T, the error logs) may fail`;
  }
}
