/**
 * A raw TCP exchange that needs only bash and coreutils: connect, send some bytes, read what comes back
 * (one or a few reads, bounded in time), and print it as hex so binary answers survive the trip:
 *
 *   timeout -k 1 T bash --norc -c SCRIPT raw-probe HOST PORT BYTES READ_SECONDS BLOCK READS
 *
 * BYTES is written with printf %b, and every byte that is not a letter or digit is passed as \xHH, so
 * nothing in it can be read as a format or an escape of ours. Everything travels as positional
 * parameters; the script text never changes. stderr ends with "read-status N": dd's exit status under
 * the inner timeout (0 the reads ended or the peer closed, 124 nothing more came in time, 1 read error).
 */

import { PROBE_BASH } from './probe-bash.js';

export const RAW_PROBE_SCRIPT = [
  "trap '' PIPE",
  'exec 3<>"/dev/tcp/$1/$2" || exit 3',
  `printf '%b' "$3" >&3 || echo "send-failed" >&2`,
  'timeout "$4" dd bs="$5" count="$6" status=none <&3 | od -An -v -tx1',
  'echo "read-status ${PIPESTATUS[0]}" >&2',
].join('\n');

export interface RawProbeOptions {
  /** How long to wait for the answer once the bytes are sent. */
  readSeconds: number;
  /** Bytes per read, and how many reads at most (each read returns what has arrived). */
  block: number;
  reads: number;
}

function encode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

export function rawProbeCommand(host: string, port: number, send: Uint8Array | string, opts: RawProbeOptions): string[] {
  let target = host.trim();
  if (target.startsWith('[') && target.endsWith(']')) target = target.slice(1, -1);
  if (target === '' || target.includes('/') || /[\s\x00-\x1f]/.test(target)) throw new RangeError(`not a host name or address: ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a TCP port: ${port}`);
  if (!(opts.readSeconds > 0) || !Number.isInteger(opts.block) || opts.block < 1 || !Number.isInteger(opts.reads) || opts.reads < 1) {
    throw new RangeError('bad read limits');
  }
  const bytes = typeof send === 'string' ? new TextEncoder().encode(send) : send;
  return [
    'timeout',
    '-k',
    '1',
    String(Math.ceil(opts.readSeconds) + 3),
    ...PROBE_BASH,
    RAW_PROBE_SCRIPT,
    'raw-probe',
    target,
    String(port),
    encode(bytes),
    String(opts.readSeconds),
    String(opts.block),
    String(opts.reads),
  ];
}

export type RawProbeEnd = 'closed' | 'quiet' | 'reset' | 'refused' | 'error';

export interface RawProbeResult {
  /** The TCP connection was made. */
  connected: boolean;
  /** What came back, byte for byte. */
  bytes: Uint8Array;
  /** How the read ended: the peer closed (or the reads were done), nothing more came in time, a reset, no connection. */
  end: RawProbeEnd;
  sendFailed: boolean;
}

export function parseRawProbe(run: { code: number | null; stdout: string; stderr: string }): RawProbeResult {
  const hex = run.stdout.match(/\b[0-9a-f]{2}\b/g) ?? [];
  const bytes = Uint8Array.from(hex.map((h) => Number.parseInt(h, 16)));
  const status = /read-status (\d+)/.exec(run.stderr);
  const sendFailed = /send-failed/.test(run.stderr);
  if (!status) {
    const refused = /Connection refused/i.test(run.stderr);
    return { connected: false, bytes, end: refused ? 'refused' : 'error', sendFailed };
  }
  const code = Number(status[1]);
  let end: RawProbeEnd = 'error';
  if (/Connection reset by peer/i.test(run.stderr)) end = 'reset';
  else if (code === 124 || code === 137) end = 'quiet';
  else if (code === 0) end = 'closed';
  return { connected: true, bytes, end, sendFailed };
}

/** Bytes as text a person can read: printable ASCII as is, the rest as \xHH (as nginx writes them). */
export function showBytes(bytes: Uint8Array, max = 120): string {
  let out = '';
  for (const b of bytes.slice(0, max)) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return bytes.length > max ? `${out}...` : out;
}

/** FCGI_GET_VALUES with no names: a management record any FastCGI server answers without running a script. */
export const FCGI_GET_VALUES = Uint8Array.from([1, 9, 0, 0, 0, 0, 0, 0]);

/** A FastCGI record header: version 1 and a record type FastCGI defines (1..11). */
export function isFastCgiRecord(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 1 && (bytes[1] as number) >= 1 && (bytes[1] as number) <= 11;
}

/** A TLS record: handshake (22) or alert (21), record version 3.x. */
export function isTlsRecord(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 3;
}

export function startsWithHttp(bytes: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(bytes.slice(0, 5)) === 'HTTP/';
}
