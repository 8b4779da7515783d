/**
 * A TCP connect test that needs nothing but bash and coreutils on the box (no nc, no curl):
 *
 *   timeout -k 1 SECONDS bash --norc -c 'exec 3<>/dev/tcp/"$1"/"$2"' probe HOST PORT
 *
 * HOST and PORT travel as positional parameters, so nothing read from a config file is ever part of
 * the script text. bash resolves HOST with getaddrinfo, so names, IPv4 and IPv6 literals all work.
 * "probe" is $0: bash prefixes its error lines with it ("probe: line 1: connect: ...").
 */

import { commandLine } from '../shell/quote.js';
import { PROBE_BASH } from './probe-bash.js';

export type TcpProbeOutcome = 'open' | 'refused' | 'timeout' | 'no-route' | 'unreachable' | 'dns' | 'error';

export const TCP_PROBE_SCRIPT = 'exec 3<>/dev/tcp/"$1"/"$2"';

export function tcpProbeCommand(host: string, port: number, seconds: number): string[] {
  let target = host.trim();
  // nginx writes IPv6 upstreams as [::1]; getaddrinfo wants the bare address.
  if (target.startsWith('[') && target.endsWith(']')) target = target.slice(1, -1);
  if (target === '' || target.includes('/') || /[\s\x00-\x1f]/.test(target)) {
    throw new RangeError(`not a host name or address: ${JSON.stringify(host)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a TCP port: ${port}`);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`not a timeout in seconds: ${seconds}`);
  return ['timeout', '-k', '1', String(seconds), ...PROBE_BASH, TCP_PROBE_SCRIPT, 'probe', target, String(port)];
}

/** The probe as a person types it to check a fix by hand: the same command, quoted, saying "open" when it connects. */
export function tcpProbeLine(host: string, port: number, seconds: number): string {
  return `${commandLine(tcpProbeCommand(host, port, seconds), 'person')} && echo open`;
}

/**
 * What the probe's exit status and stderr mean. bash reports the connect error twice, e.g.
 *   probe: connect: Connection refused
 *   probe: line 1: /dev/tcp/127.0.0.1/38119: Connection refused
 * and a name it cannot resolve once:
 *   probe: line 1: nosuch.invalid: Name or service not known
 * `timeout` exits 124 when it had to stop the connect (137 if it needed SIGKILL).
 * A null code (the host gave up on the command itself) is 'error', not a verdict about the network.
 */
export function parseTcpProbe(result: { code: number | null; stderr: string }): TcpProbeOutcome {
  const { code, stderr } = result;
  if (code === 0) return 'open';
  if (code === null) return 'error';
  if (code === 124 || code === 137) return 'timeout';
  if (/Connection refused/i.test(stderr)) return 'refused';
  if (/Connection timed out/i.test(stderr)) return 'timeout';
  if (/No route to host/i.test(stderr)) return 'no-route';
  if (/Network is unreachable/i.test(stderr)) return 'unreachable';
  if (/Name or service not known|Temporary failure in name resolution|No address associated with hostname|nodename nor servname|Servname not supported|host unknown/i.test(stderr)) {
    return 'dns';
  }
  return 'error';
}
