/**
 * What an apply changed, in the shape the journal keeps and the report shows: each config file (with its
 * backup and checksums), each command (with its result and undo), each reload (with its proof).
 */

export interface EditChange {
  kind: 'edit';
  /** The file as the config names it. */
  file: string;
  /** The file really changed (symlinks followed). */
  path: string;
  program: 'nginx' | 'php-fpm' | 'backend';
  lines: number[];
  diff: string[];
  backup: string;
  sha256Before: string;
  sha256After: string;
  status: 'planned' | 'applied' | 'restored' | 'not-restored';
  /** In words: how to put it back by hand. */
  undo: string;
}

export interface CommandChange {
  kind: 'command';
  command: string;
  argv: string[];
  why: string;
  /** Survives a restart or reboot; false: a stopgap a restart undoes. */
  durable: boolean;
  action: string;
  status: 'planned' | 'ran' | 'failed' | 'skipped' | 'undone';
  /** Why it was not run. */
  skipped?: string;
  result?: { code: number | null; ms: number; stdout: string; stderr: string; failure?: string };
  /** What it changed, in words, when that is known. */
  changed?: string;
  /** Commands that put back what it changed; null when nothing needs undoing or no undo is known. */
  undo: string[][] | null;
  /** The undo in words: the commands, or why there is none. */
  undoText: string;
}

export interface ReloadChange {
  kind: 'reload';
  command: string;
  status: 'ran' | 'failed';
  /** How badgateway knows the reload took: new worker PIDs. */
  proof: string;
}

export type Change = EditChange | CommandChange | ReloadChange;

/** How to test, reload and find nginx again later (undo runs in another session). */
export interface NginxHandles {
  test: string[];
  reload: string[];
  /** The running master's -c/-p/-g, to find it again in ps. */
  args: string[];
  masterPid: number | null;
  /** The main error log, where a failed reload says why. */
  mainErrorLog: string | null;
}

/** How to restart the backend whose config file changed (php-fpm sets a socket's mode only when it starts). */
export interface BackendHandles {
  start: string[];
  stop: string[];
  restart: string[];
  /** For a php-fpm started by hand: its main config, to find its master in ps. */
  fpmConf: string | null;
  fpmBinary: string | null;
}

export interface ApplyRecord {
  v: 1;
  id: string;
  event: 'begin' | 'applied' | 'rolled-back' | 'failed' | 'undone';
  at: string;
  host: string;
  cause: string | null;
  title: string;
  request: string | null;
  stateDir: string;
  nginx: NginxHandles | null;
  backend: BackendHandles | null;
  changes: Change[];
  verified: boolean;
  failure: string | null;
}
