import type { NginxConfig } from './nginx/config-types.js';

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

  'route.server': ConfigPlace;
  'route.serverName': string;
  'route.location': ConfigPlace;
  'route.locationMatch': string;
  'route.errorLog': string;

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

  'timeout.directive': string;
  'timeout.currentMs': number;
  'timeout.suggested': string;
  'timeout.place': ConfigPlace;

  'service.manager': string;
  'service.unit': string;
}

export type FactKey = keyof Facts;
export type KnownFacts = Partial<Facts>;
