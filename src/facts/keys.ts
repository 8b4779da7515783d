import type { HistoryReport } from '../history/types.js';
import type { NginxConfig } from '../nginx/config-types.js';
import type { PathKinds } from '../nginx/route-types.js';

/** An upstream error line from nginx's error log, classified. */
export interface UpstreamError {
  time: string;
  level: string;
  /** errno nginx printed, e.g. 111, 13, 2, 110, 104; null when the message has none. */
  errno: number | null;
  /** What the line means, e.g. 'refused', 'no-such-file', 'permission-denied', 'read-timeout'. */
  kind: string;
  message: string;
  upstream?: string;
  server?: string;
  request?: string;
  host?: string;
  client?: string;
  /** The raw line, control characters stripped. */
  line: string;
}

export interface Listener {
  netid: 'tcp' | 'tcp6' | 'unix';
  address: string;
  port: number | null;
  /** For unix sockets, the path. */
  path: string | null;
  process: string | null;
  pid: number | null;
  /** Every process holding the socket, in the order ss lists them (children often before the parent). */
  pids?: number[];
  /** Interface the socket is bound to, from ss's "%lo" suffix (SO_BINDTODEVICE or an IPv6 scope). */
  iface?: string;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  user: string;
  args: string;
}

export interface SocketStat {
  path: string;
  exists: boolean;
  type: string | null;
  owner: string | null;
  group: string | null;
  /** Octal mode such as "660". */
  mode: string | null;
}

export interface ConfigPlace {
  file: string;
  line: number;
}

/** Where a php-fpm pool setting is written (absent: php-fpm's default applies). */
export type FpmKey = 'listen' | 'listen.owner' | 'listen.group' | 'listen.mode' | 'user' | 'group' | 'request_terminate_timeout' | 'pm' | 'pm.max_children' | 'pm.max_requests';

/** One php-fpm pool as php-fpm itself reads it (`php-fpm -tt`), with the file:line of each setting. */
export type SettingPlace = ConfigPlace & { text: string };

/** What each program calls the settings a fix changes. */
export type BackendSetting = 'workers' | 'backlog' | 'umask' | 'user' | 'group' | 'chmod-socket' | 'chown-socket';

export interface BackendSettings {
  program: 'gunicorn' | 'uwsgi';
  file: string;
  /** gunicorn: the command= line (its flags are edited there); uwsgi: the [uwsgi] line (missing keys go after it). */
  anchor: SettingPlace;
  values: Partial<Record<BackendSetting, string>>;
  /** The line that sets each value; for gunicorn's flags, the command= line. */
  places: Partial<Record<BackendSetting, SettingPlace>>;
  /**
   * gunicorn: the anchor line's text before and after its flags (supervisord's `command=/usr/bin/gunicorn `, a shell
   * variable's `DAEMON_OPTS="` and `"`, systemd's `ExecStart=/usr/bin/gunicorn `); absent: supervisord's command=.
   */
  around?: { before: string; after: string };
  /** Who reads the file: supervisord, an init script (its /etc/default file or itself), or a systemd unit. */
  definedBy?: 'supervisor' | 'sysv' | 'systemd';
}

export interface FpmPool {
  name: string;
  /** php-fpm's master running this config; null when this config is installed but not running. */
  masterPid: number | null;
  binary: string;
  conf: string;
  /** The master's own error log (global error_log), when set. */
  errorLog: string | null;
  values: Partial<Record<FpmKey, string>>;
  /** The line that sets each value, as written (text trimmed). */
  places: Partial<Record<FpmKey, ConfigPlace & { text: string }>>;
  /** Where the pool's [name] section starts. */
  section: ConfigPlace | null;
  /** php-fpm's own test rejects this config: its first error (php-fpm will not start until it is corrected). */
  rejected?: string;
}

/** What is known of the program behind the upstream, to find what manages it on this box. */
export interface BackendHint {
  /** A running process of the backend (its master), if any. */
  pid: number | null;
  /** Its executable, e.g. /usr/sbin/php-fpm8.2. */
  binary: string | null;
  /** Its main config file, e.g. the php-fpm.conf a pool comes from. */
  conf: string | null;
  /** Service names it usually has, e.g. php8.2-fpm, php-fpm. */
  names: string[];
  /** A label for people: "php-fpm pool www", "python3 pid 123". */
  label: string;
}

/**
 * Everything a session learns. Checks declare which keys they learn; flows and fix templates may only
 * name keys learned on every path that reaches them (badgateway lint proves it).
 */
export interface Facts {
  'nginx.binary': string;
  'nginx.version': string;
  'nginx.masterPid': number;
  /** Extra arguments the running master was started with (-c, -p, -g), to repeat on every nginx call. */
  'nginx.args': string[];
  'nginx.confPath': string;
  'nginx.prefix': string;
  /** The error log compiled into this nginx (nginx -V), used when the config names none. */
  'nginx.defaultErrorLog': string;
  'nginx.config': NginxConfig;
  'nginx.configError': string;
  'nginx.workerUser': string;
  'nginx.workerGroups': string[];
  /** How this nginx is reloaded on this box: its service manager, or a signal with its own -c/-p. */
  'nginx.reload': string[];
  'nginx.test': string[];

  'request.url': string;
  'request.method': string;
  'request.hostHeader': string;
  'request.port': number;
  'request.path': string;
  /** Where the URL came from: 'argument' or 'error-log'. */
  'request.source': string;
  'request.candidates': string[];
  /** Where nginx listens for this request: curl connects there whatever the URL's host is. */
  'request.connectTo': string;
  /** The upstream: field of nginx's own error line for this request (the address it dialled), when the log named it. */
  'request.upstream': string;
  /** Request headers by lower-case name (from --header), beside Host. */
  'request.headers': Record<string, string>;

  'route.server': ConfigPlace;
  'route.serverName': string;
  'route.location': ConfigPlace;
  'route.locationMatch': string;
  'route.errorLog': string;
  /** What the box said is at each path try_files and index tested for this request. */
  'route.pathKinds': PathKinds;

  'upstream.module': string;
  'upstream.scheme': string;
  'upstream.target': string;
  'upstream.kind': 'tcp' | 'unix';
  'upstream.host': string;
  'upstream.port': number;
  'upstream.socket': string;
  'upstream.group': string;
  /** Where the address nginx dials is written. */
  'upstream.place': ConfigPlace;

  'error.latest': UpstreamError;
  'error.kind': string;
  /** What the classifier read inside the message: the TLS reason, the name, the address, the phase. */
  'error.detail': string;
  'error.count': number;

  'probe.status': number;
  'probe.ms': number;

  listeners: Listener[];
  processes: ProcessInfo[];

  'socket.stat': SocketStat;
  /** Why the worker user may not connect, in plain words. */
  'socket.blockedBy': string;
  /** The socket or directory whose permissions stop the worker user. */
  'socket.blockedPath': string;

  'backend.running': boolean;
  'backend.listenAt': string;
  'backend.port': number;
  'backend.pid': number;
  'backend.process': string;
  'backend.responseMs': number;
  /** The backend's processes that hold its socket and are stopped (state T), so nothing reads it. */
  'backend.stoppedPids': number[];
  /** The processes holding the backend's socket, each with its state ("pid 812 stopped: gunicorn ..."). */
  'backend.states': string[];
  /** The session host whose own view showed the backend's listeners, when that is not nginx's box. */
  'backend.box': string;
  /** gunicorn's or uwsgi's own settings, with the lines that set them (the supervisord program, the app ini). */
  'backend.settings': BackendSettings;
  /** How many workers the backend could run, sized by CPUs and memory, with the numbers in words. */
  'backend.workers': { suggested: number; why: string };
  /** The backend's listen queue now, what it could be, and the kernel's cap (net.core.somaxconn). */
  'backend.backlog': { current: number; suggested: number; somaxconn: number | null };
  /** The container docker-proxy forwards the dialled port to, as the probe and docker's records show it. */
  'backend.container': BackendContainer;
  /** The container's address docker-proxy forwards to ("172.17.0.2:80"), and what a probe of it saw, in words. */
  'container.address': string;
  'container.seen': string;

  'timeout.directive': string;
  'timeout.currentMs': number;
  'timeout.suggested': string;
  'timeout.place': ConfigPlace;

  'service.manager': string;
  'service.unit': string;
  /** argv that start, restart and reload the backend with what manages it on this box. */
  'service.start': string[];
  'service.stop': string[];
  /** Empty when nothing restarts it in one command: stop, then start. */
  'service.restart': string[];
  'service.reload': string[];
  /** Log files the backend's own service definition names (supervisord's stdout_logfile, pm2's, --log options). */
  'service.logs': string[];

  /** Every php-fpm pool on this box (running masters and installed configs). */
  'fpm.pools': FpmPool[];
  /** The pool behind this upstream: it listens (or is configured to) where nginx dials, or nearest to it. */
  'fpm.pool': FpmPool;
  'backend.hint': BackendHint;
  /** Where the backend listens instead of what nginx dials: a socket path or host:port. */
  'backend.listenInstead': string;

  /** The addresses the upstream's name resolves to now (getent ahosts, ", "-joined), and the one nginx used. */
  'dns.now': string;
  'dns.used': string;

  /** Bytes of response header the backend sent us directly (status line and final CRLF included). */
  'headers.bytes': number;
  /** In words: the measured header size, or why it could not be measured. */
  'headers.measured': string;
  /** The memory page size: nginx's default for every *_buffer_size. */
  'system.pageSize': number;
  /** proxy_buffer_size (or fastcgi_/uwsgi_/scgi_/grpc_) for the failing location. */
  'buffer.directive': string;
  /** Its value in force, and where: "4k (nginx's default: one memory page)". */
  'buffer.current': string;
  'buffer.suggested': string;

  /** nginx's per-worker limits as configured and as the running workers have them. */
  'worker.limits': WorkerLimits;
  'limits.connections': number;
  /** The workers' open-file limit in words: "1024 (soft limit of worker 123)". */
  'limits.openFiles': string;

  /** enforcing, permissive, disabled or absent (no SELinux tools). */
  'selinux.mode': string;
  /** httpd_can_network_connect: on, off or unknown. */
  'selinux.boolean': string;
  /** The AVC denial of nginx's connect, when the audit log has one. */
  'selinux.denial': string;

  /** What the backend answered when asked directly, bypassing nginx. */
  'backend.directStatus': number;

  /** php-fpm's request_terminate_timeout for the pool behind a FastCGI upstream, in words. */
  'fpm.terminateTimeout': string;
  /** The pool's pm.max_children when php-fpm said the pool reached it, and what the box's memory allows instead. */
  'fpm.maxChildren': number;
  'fpm.suggestedChildren': number;
  /** php-fpm's newest "server reached pm.max_children" line, and how often it said so lately. */
  'fpm.saturation': string;
  /** Which limit ends a slow request first, in words: nginx's read timeout or php-fpm's. */
  'timeout.bitesFirst': string;

  /** The address nginx failed to reach (host:port), probed again from this box. */
  'reach.address': string;
  /** What a TCP connect to it does now: open, refused, timeout, no-route, unreachable, dns, error. */
  'reach.probe': string;
  /** How the kernel routes to it, in words (ip route get). */
  'reach.route': string;
  /** The source address this box sends from (ip route get ... src). */
  'reach.source': string;
  /** The neighbour (ARP) state of the next hop: reachable, failed, incomplete, ... */
  'reach.neighbour': string;
  /** Drop/reject rules of this box's firewall that name the address or port, in words; empty: none seen. */
  'reach.blocking': string[];
  /** The backend's accept queue, when it listens on this box, in words. */
  'reach.queue': string;
  /** Drop/reject rules of the backend's own box's firewall (seen on that box, when it is another one), in words. */
  'reach.backendBlocking': string[];

  /** The name nginx uses for the upstream's TLS (proxy_ssl_name, else the proxy_pass host). */
  'tls.nginxName': string;
  /** Whether nginx sends that name as SNI (proxy_ssl_server_name on and not an IP address). */
  'tls.sendsSni': boolean;
  /** A name the backend accepts (SNI) or its certificate is valid for; '' when none could be found. */
  'tls.serverName': string;
  /** What failed, in OpenSSL's words, e.g. "tlsv1 unrecognized name", "unable to get local issuer certificate". */
  'tls.reason': string;
  /** The backend certificate's issuer and the names it is valid for. */
  'tls.issuer': string;
  'tls.certNames': string[];
  /** The protocol version the backend agrees to when not limited, e.g. TLSv1.3. */
  'tls.protocol': string;
  /** The versions nginx offers (proxy_ssl_protocols, or its default). */
  'tls.nginxProtocols': string[];

  /** Every server of the upstream group, with what a probe and the error log say about each. */
  'group.servers': GroupServer[];

  /** What nginx speaks to the backend, in words: "plain HTTP (proxy_pass http://)". */
  'protocol.nginx': string;
  /** What the backend really speaks: http, https, fastcgi, uwsgi or other. */
  'protocol.backend': string;
  /** What the probes saw, in words: "HTTPS: a TLS handshake with it completes (TLSv1.3, ...)". */
  'protocol.seen': string;
  /** nginx's keepalive_timeout for the upstream group in words ("keepalive_timeout not set: nginx's default 60s"), and in ms. */
  'keepalive.nginx': string;
  'keepalive.nginxMs': number;
  /** How long the backend keeps an idle connection open, measured, in ms (for one dropped only when used again: the shortest idle time it dropped). */
  'keepalive.backendMs': number;
  /** What the backend does with an idle connection, in words ("closes an idle connection after about 1000 ms"). */
  'keepalive.behaviour': string;
  /** Where keepalive_timeout goes: its own line when written, else the group's `keepalive N;` line. */
  'keepalive.place': ConfigPlace;
  'keepalive.timeoutSet': boolean;
  'keepalive.suggested': string;
  /** `fastcgi_keep_conn on;` where the route sets it: what keeps FastCGI connections open for reuse. */
  'keepalive.keepConn': ConfigPlace;
  /** What the backend's own logs, its processes and the kernel say about its crash, in words. */
  'crash.summary': string;
  'crash.lines': string[];
  /** The log files of the backend that were read. */
  'crash.logs': string[];
  /** The systemd unit the backend runs in, when it runs in one. */
  'crash.unit': string;
  /** Whether something listens at the dialled address again when the crash was read (started again since). */
  'crash.listening': boolean;

  /** What already happened (issue 15): the report's `history`, the newest episode in words, and what prevents the next one. */
  'history.report': HistoryReport;
  'history.summary': string;
  'history.advice': string;
  /** --since: how far back history is read, in ms before the box's clock now. */
  'history.sinceMs': number;
  /** The first response line nginx refuses, escaped as nginx prints it, and what is wrong with it. */
  'response.badLine': string;
  'response.problem': string;

  /** nginx's resolver directive for this request in words ('none' when no resolver is defined). */
  'dns.resolver': string;
  /** The nameservers of this box (/etc/resolv.conf), space-separated as a resolver line takes them; '' when none. */
  'dns.nameservers': string;
}

/** A container behind docker-proxy: its address, what a probe of it saw, and docker's name for it when the box says. */
export interface BackendContainer {
  address: string;
  proxyPid: number;
  /** The probe of the container's address, in words. */
  seen: string;
  id: string | null;
  name: string | null;
  running: boolean | null;
  compose: { project: string; dir: string | null; files: string[]; service: string } | null;
  /** docker's record of it (config.v2.json), when read. */
  file: string | null;
}

/** One server of an upstream{} group, as the config writes it and as it answers now. */
export interface GroupServer {
  target: string;
  params: string[];
  place: ConfigPlace;
  /** TCP probe outcome, or for a unix socket: listening, not-listening, missing. */
  probe: string;
  /** The newest earlier error nginx logged for this server (why it was marked failed), if any. */
  lastError: string | null;
  /** max_fails and fail_timeout in force for it (nginx's defaults 1 and 10s). */
  maxFails: number;
  failTimeout: string;
  backup: boolean;
  down: boolean;
}

export type FactKey = keyof Facts;
export type KnownFacts = Partial<Facts>;

/** worker_connections and the open-file limit of nginx's workers, configured and real. */
export interface WorkerLimits {
  /** worker_connections in force (nginx's default 512) and where it is written. */
  connections: number;
  connectionsPlace: ConfigPlace | null;
  /** The events { line, to add worker_connections to when it is not written. */
  eventsPlace: ConfigPlace | null;
  /** worker_rlimit_nofile when written, and where. */
  rlimitNofile: number | null;
  rlimitPlace: ConfigPlace | null;
  /** The workers' open-file limit from /proc/PID/limits (the lowest soft limit among them); null: not read. */
  openFilesSoft: number | null;
  openFilesHard: number | null;
  /** The most descriptors one worker holds now; null: not read. */
  openNow: number | null;
  workers: number[];
}
