/** Where commands run. A check never sees which kind of host it is talking to. */

export interface CommandSpec {
  /** The program and its arguments; never a shell string. */
  argv: string[];
  /** Sent on standard input, then closed. */
  stdin?: string;
  timeoutMs?: number;
  /** 'backend': runs on the backend's own box (what listens there, its logs); else on nginx's box. */
  on?: 'backend';
  /** Asked ahead of need (look-ahead): a host that batches runs it apart from the step's own commands. */
  early?: boolean;
}

export interface CommandResult {
  argv: string[];
  stdout: string;
  stderr: string;
  /** Exit code; null when the command did not exit by itself (timeout, signal, could not start). */
  code: number | null;
  ms: number;
  /** Why the command did not complete: 'not-found', 'timeout', 'aborted', or a system error text. */
  failure?: string;
  /** The label of the host it ran on, set by the runner. */
  host?: string;
}

/** The failure of a backend command when no host of the session is the backend's box. */
export const NO_BACKEND_VIEW = 'no-backend-view';

export interface Host {
  /** Short name shown beside each step: "local", "root@web1", or a role's target. */
  readonly label: string;
  run(command: CommandSpec, signal?: AbortSignal): Promise<CommandResult>;
  /**
   * A step now needs this command, which the look-ahead asked for: if it still waits for the look-ahead's
   * turn (a batching host), it leaves with the step's own commands instead.
   */
  promote?(command: CommandSpec): void;
  close(): Promise<void>;
  /** What happened to the connection during the session (a drop and the reconnect), for the report. */
  readonly events?: readonly string[];
}

export const DEFAULT_TIMEOUT_MS = 10_000;
