/**
 * One FastCGI request sent straight to the backend nginx dials (a unix socket or host:port), with the
 * params nginx would send, to see the response head the backend really writes. It uses the first FastCGI
 * client the box has: cgi-fcgi (Debian's libfcgi-bin), else a short python3 or perl client carried in the
 * command itself:
 *
 *   timeout -k 1 T bash --norc -c SCRIPT fcgi-probe KIND ADDRESS PORT LIMIT NAME=VALUE...
 *
 * KIND is unix (ADDRESS the socket, PORT "-") or tcp. Every value travels as a positional parameter; the
 * script text never changes. stdout is what came back as hex (od): the raw FastCGI records from python3 or
 * perl, the stdout stream alone from cgi-fcgi. stderr names the client ("client NAME", or "no-client") and
 * ends with "exit N", the client's status.
 */
import { quote } from '../shell/quote.js';
import { PROBE_BASH } from './probe-bash.js';

/** Seconds one client may take, inside the outer timeout. */
const CLIENT_SECONDS = 8;
/** Bytes kept of the answer: far more than any header buffer nginx is given. */
export const FCGI_PROBE_LIMIT = 262_144;

const PYTHON_CLIENT = `import os, socket, struct, sys
kind, addr, port, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def rec(t, c): return struct.pack('>BBHHBB', 1, t, 1, len(c), 0, 0) + c
def ln(n): return bytes([n]) if n < 128 else struct.pack('>I', n | 0x80000000)
body = b''
for a in sys.argv[5:]:
    k, _, v = a.partition('=')
    k, v = os.fsencode(k), os.fsencode(v)
    body += ln(len(k)) + ln(len(v)) + k + v
try:
    s = socket.socket(socket.AF_UNIX) if kind == 'unix' else socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)
    s.settimeout(${CLIENT_SECONDS})
    s.connect(addr if kind == 'unix' else (addr, int(port)))
    out = rec(1, struct.pack('>HB5x', 1, 0))
    for i in range(0, len(body), 65535): out += rec(4, body[i:i + 65535])
    s.sendall(out + rec(4, b'') + rec(5, b''))
except OSError as e:
    sys.stderr.write('connect-failed %s\\n' % e); sys.exit(3)
got = b''
while len(got) < limit:
    try: d = s.recv(65536)
    except OSError: break
    if not d: break
    got += d
sys.stdout.buffer.write(got[:limit])
`;

const PERL_CLIENT = `use strict; use Socket; use IO::Socket::UNIX; use IO::Socket::IP;
my ($kind, $addr, $port, $limit, @params) = @ARGV;
my $s = $kind eq 'unix' ? IO::Socket::UNIX->new(Peer => $addr, Type => SOCK_STREAM) : IO::Socket::IP->new(PeerHost => $addr, PeerPort => $port, Timeout => ${CLIENT_SECONDS});
unless ($s) { print STDERR "connect-failed $!\\n"; exit 3 }
sub rec { pack('CCnnCC', 1, $_[0], 1, length $_[1], 0, 0) . $_[1] }
sub ln { my $n = shift; $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000) }
my $body = '';
for (@params) { my ($k, $v) = split /=/, $_, 2; $body .= ln(length $k) . ln(length $v) . $k . $v }
my $out = rec(1, pack('nCx5', 1, 0));
for (my $i = 0; $i < length $body; $i += 65535) { $out .= rec(4, substr($body, $i, 65535)) }
syswrite($s, $out . rec(4, '') . rec(5, ''));
binmode STDOUT; my $got = '';
eval { local $SIG{ALRM} = sub { die "quiet\\n" }; alarm ${CLIENT_SECONDS};
  while (length $got < $limit) { my $n = sysread($s, my $d, 65536); last unless $n; $got .= $d } alarm 0 };
print substr($got, 0, $limit);
`;

export const FCGI_PROBE_SCRIPT = [
  "trap '' PIPE",
  'kind=$1 addr=$2 port=$3 limit=$4; shift 4',
  `py=${quote(PYTHON_CLIENT)}`,
  `pl=${quote(PERL_CLIENT)}`,
  'if c=$(command -v cgi-fcgi) && [ -x "$c" ]; then',
  '  echo "client cgi-fcgi" >&2',
  '  if [ "$kind" = unix ]; then to=$addr; else to=$addr:$port; fi',
  `  timeout ${CLIENT_SECONDS} env -i -- "$@" "$c" -bind -connect "$to" </dev/null | head -c "$limit" | od -An -v -tx1`,
  'elif c=$(command -v python3) && [ -x "$c" ]; then',
  '  echo "client python3" >&2',
  '  "$c" -c "$py" "$kind" "$addr" "$port" "$limit" "$@" | od -An -v -tx1',
  'elif c=$(command -v perl) && [ -x "$c" ]; then',
  '  echo "client perl" >&2',
  '  "$c" -e "$pl" -- "$kind" "$addr" "$port" "$limit" "$@" | od -An -v -tx1',
  'else',
  '  echo "no-client" >&2; exit 4',
  'fi',
  // On a line of its own: what the backend wrote on stderr may not end with a newline.
  `printf '\\nexit %s\\n' "\${PIPESTATUS[0]}" >&2`,
].join('\n');

export type FcgiTarget = { kind: 'unix'; socket: string } | { kind: 'tcp'; host: string; port: number };

export function fcgiProbeCommand(target: FcgiTarget, params: readonly (readonly [string, string])[]): string[] {
  for (const [name] of params) {
    if (name === '' || name.includes('=') || name.includes('\0')) throw new RangeError(`not a FastCGI param name we can send: ${JSON.stringify(name)}`);
  }
  if (params.some(([, value]) => value.includes('\0'))) throw new RangeError('a FastCGI param value holds a NUL byte');
  const where = target.kind === 'unix' ? ['unix', target.socket, '-'] : ['tcp', target.host.replace(/^\[|\]$/g, ''), String(target.port)];
  return ['timeout', '-k', '1', String(CLIENT_SECONDS + 4), ...PROBE_BASH, FCGI_PROBE_SCRIPT, 'fcgi-probe', ...where, String(FCGI_PROBE_LIMIT), ...params.map(([n, v]) => `${n}=${v}`)];
}

export type FcgiClient = 'cgi-fcgi' | 'python3' | 'perl';

export interface FcgiAnswer {
  /** The client the box had; null: none of them. */
  client: FcgiClient | null;
  /** The backend answered with a complete response head. */
  complete: boolean;
  /**
   * Bytes nginx's header buffer must hold for this answer: from the first byte the backend sends through the
   * blank line that ends the head, record headers and padding included. That counts what the backend wrote
   * on FastCGI stderr before the head (PHP's warnings): nginx drops those from its buffer only when a read
   * ends with them, and keeps them when the head arrives in the same read. From cgi-fcgi, which gives the
   * streams apart, the head plus one record header (php-fpm sends the head in its first record), plus the
   * stderr text and its record header when there is any.
   */
  headBytes: number | null;
  /** Of headBytes, what the backend wrote on FastCGI stderr (records included) before the head. */
  stderrBytes: number;
  /** The head's lines (status header first when there is one), as text. */
  headLines: string[];
  /** From a Status: header; 200 when the head has none (FastCGI's default). */
  status: number | null;
  /** What the backend wrote on FastCGI stderr (PHP's warnings), cut short. */
  stderr: string;
  /** Why nothing usable came back. */
  problem?: string;
}

const HEADER_LEN = 8;
const STDOUT = 6;
const STDERR = 7;

const latin1 = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

/** Where the head ends in a stream: just past the first empty line ("\r\n\r\n" or "\n\n"); -1 when it does not. */
export function headEnd(stream: Uint8Array): number {
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] !== 0x0a) continue;
    if (stream[i + 1] === 0x0a) return i + 2;
    if (stream[i + 1] === 0x0d && stream[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

interface Records {
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** For each stdout byte's record: [raw offset where its content starts, stdout offset it starts at]. */
  spans: [number, number][];
  firstStdout: number | null;
}

function readRecords(raw: Uint8Array): Records | null {
  const out: number[] = [];
  const err: number[] = [];
  const spans: [number, number][] = [];
  let firstStdout: number | null = null;
  let at = 0;
  while (at + HEADER_LEN <= raw.length) {
    if (raw[at] !== 1) return at === 0 ? null : { stdout: Uint8Array.from(out), stderr: Uint8Array.from(err), spans, firstStdout };
    const type = raw[at + 1] as number;
    const length = ((raw[at + 4] as number) << 8) | (raw[at + 5] as number);
    const padding = raw[at + 6] as number;
    const content = raw.slice(at + HEADER_LEN, at + HEADER_LEN + length);
    if (type === STDOUT && length > 0) {
      firstStdout ??= at;
      spans.push([at + HEADER_LEN, out.length]);
      out.push(...content);
    } else if (type === STDERR) err.push(...content);
    at += HEADER_LEN + length + padding;
  }
  return { stdout: Uint8Array.from(out), stderr: Uint8Array.from(err), spans, firstStdout };
}

/** The raw offset of a stdout offset: inside the record whose content holds it. */
function rawOffset(records: Records, streamOffset: number): number {
  let found = records.spans[0] as [number, number];
  for (const span of records.spans) if (span[1] <= streamOffset) found = span;
  return found[0] + (streamOffset - found[1]);
}

function headOf(stream: Uint8Array, end: number): { lines: string[]; status: number | null } {
  const lines = latin1(stream.slice(0, end))
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const status = lines.map((l) => /^status:\s*(\d{3})/i.exec(l)).find(Boolean);
  // As nginx reads it: the Status header, else 302 with a Location, else 200.
  return { lines, status: status ? Number(status[1]) : lines.some((l) => /^location:/i.test(l)) ? 302 : 200 };
}

export function parseFcgiProbe(run: { code: number | null; stdout: string; stderr: string }): FcgiAnswer {
  const client = (/^client (cgi-fcgi|python3|perl)$/m.exec(run.stderr)?.[1] ?? null) as FcgiClient | null;
  const bytes = Uint8Array.from((run.stdout.match(/\b[0-9a-f]{2}\b/g) ?? []).map((h) => Number.parseInt(h, 16)));
  const none: FcgiAnswer = { client, complete: false, headBytes: null, stderrBytes: 0, headLines: [], status: null, stderr: '' };
  if (/^no-client$/m.test(run.stderr)) return { ...none, problem: 'the box has no FastCGI client: neither cgi-fcgi nor python3 nor perl' };
  if (!client) return { ...none, problem: `the probe did not run (${run.stderr.trim().split('\n')[0] || `exit ${run.code}`})` };
  const failed = /connect-failed (.*)|Could not connect to (.*)/.exec(run.stderr);
  if (bytes.length === 0) return { ...none, problem: failed ? `could not connect: ${failed[0]}` : 'the backend sent nothing back' };
  if (client === 'cgi-fcgi') {
    const end = headEnd(bytes);
    if (end === -1) return { ...none, problem: `the answer's head does not end within ${bytes.length} bytes` };
    const stderr = stderrText(run.stderr);
    const stderrBytes = stderr.length ? stderr.length + HEADER_LEN : 0;
    return { client, complete: true, headBytes: end + HEADER_LEN + stderrBytes, stderrBytes, ...headLinesOf(bytes, end), stderr: stderr.trim().slice(0, 400) };
  }
  const records = readRecords(bytes);
  if (!records) return { ...none, problem: 'the answer is not FastCGI records' };
  const stderr = latin1(records.stderr).slice(0, 400);
  const end = headEnd(records.stdout);
  if (end === -1 || records.firstStdout === null) {
    return { ...none, stderr, problem: records.stdout.length ? `the answer's head does not end within ${records.stdout.length} bytes` : 'the backend answered with no output' };
  }
  return { client, complete: true, headBytes: rawOffset(records, end), stderrBytes: records.firstStdout, ...headLinesOf(records.stdout, end), stderr };
}

function headLinesOf(stream: Uint8Array, end: number): { headLines: string[]; status: number | null } {
  const head = headOf(stream, end);
  return { headLines: head.lines, status: head.status };
}

/** cgi-fcgi writes the backend's FastCGI stderr to its own stderr, between our marker lines ("client ..." and "exit N" after an empty line). */
function stderrText(stderr: string): string {
  const body = stderr.replace(/^client \S+\n/, '');
  const end = body.lastIndexOf('\nexit ');
  return end === -1 ? body : body.slice(0, end);
}
