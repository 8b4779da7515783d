/** What history is made of: nginx's failures, the backend's events around them, and the episodes they form. */

/** One failure nginx wrote, placed in (naive) time. */
export interface Failure {
  /** Naive ms: the wall-clock fields read as UTC (see src/system/backend-logs.ts). */
  time: number;
  kind: string;
  /** The server nginx dialled, as its line names it ("127.0.0.1:8002", "unix:/run/php.sock"); '' when none. */
  upstream: string;
  /** The request's path without its query; '' when the line names no request. */
  path: string;
  /** 502 or 504, as nginx answers this kind of failure. */
  status: 502 | 504;
  line: string;
}

export type EventKind = 'restart' | 'stop' | 'exit' | 'fatal' | 'oom-kill' | 'max-children' | 'child-killed' | 'crash-line';

/** Something the box's own logs say happened to a backend. */
export interface BackendEvent {
  time: number;
  kind: EventKind;
  /** Which log said so: "supervisord", "php-fpm", "kernel", or a file. */
  source: string;
  line: string;
  /** For an OOM kill: the name of the process the kernel killed. */
  process?: string;
  /** For a process start seen by ps: the address it listens at now ("127.0.0.1:8000", "unix:/run/app.sock"); it belongs to that server's episodes only. */
  server?: string;
}

/** What an episode most likely was, in the words the flow branches on. */
export type Story = 'restart-window' | 'crash-loop' | 'oom-kill' | 'saturated' | 'slow-endpoint' | 'hung' | 'unreachable' | 'still-down' | 'closed' | 'other';

export interface Episode {
  story: Story;
  /** The DESIGN cause id (contract). */
  cause: string;
  first: number;
  last: number;
  count: number;
  upstream: string;
  location: string;
  kind: string;
  /** nginx's first and last line, then what the box shows at that time. */
  evidence: string[];
  events: BackendEvent[];
}

/** The `history` of the --json report (DESIGN.md, "History"): times as the box's wall clock, ISO without zone. */
export interface HistoryReport {
  since: string;
  until: string;
  episodes: { cause: string; story: Story; first: string; last: string; count: number; upstream: string; location: string; evidence: string[] }[];
  per_minute: { t: string; '502': number; '504': number }[];
  /** Which access-log fields were missing, and the log_format line that adds them; empty when none. */
  notes: string[];
  /** Markers for the chart: restarts, OOM kills, saturation warnings, by minute. */
  markers: { t: string; kind: EventKind }[];
}
