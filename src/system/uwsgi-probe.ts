/**
 * One request sent straight to a backend in the uwsgi protocol (what nginx's uwsgi_pass speaks), timed to
 * its first byte: curl speaks only HTTP, so a uwsgi backend is asked with a short python3 client carried in
 * the command itself (uWSGI's own python plugin means python3 is on such a box):
 *
 *   timeout -k 1 T python3 -c SCRIPT KIND ADDRESS PORT SECONDS NAME=VALUE...
 *
 * KIND is unix (ADDRESS the socket, PORT "-") or tcp; every value travels as an argument. The packet is
 * uwsgi's: a 4-byte header (modifier1 0, the size of the vars little-endian, modifier2 0), then each var as
 * a little-endian 16-bit length and bytes, for its name and its value. It prints one line:
 *
 *   uwsgi-probe<TAB>answer<TAB>FIRST_BYTE_MS<TAB>STATUS LINE     the backend's first line, e.g. "HTTP/1.1 200 OK"
 *   uwsgi-probe<TAB>timeout<TAB>WAITED_MS                         nothing came back within SECONDS
 *   uwsgi-probe<TAB>closed<TAB>MS                                 the backend closed without a byte
 *   uwsgi-probe<TAB>connect-failed<TAB>ERROR
 */

export const UWSGI_PROBE_MARK = 'uwsgi-probe';

/** The packet sent, the same for every read below: connect, send, `start` set; a connect failure printed under `mark`. */
function pythonSend(mark: string): string {
  return `import socket, struct, sys, time
kind, addr, port, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
def var(b): return struct.pack('<H', len(b)) + b
body = b''
for a in sys.argv[5:]:
    k, _, v = a.partition('=')
    body += var(k.encode('latin-1')) + var(v.encode('latin-1'))
try:
    s = socket.socket(socket.AF_UNIX) if kind == 'unix' else socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)
    s.settimeout(seconds)
    s.connect(addr if kind == 'unix' else (addr, int(port)))
    start = time.monotonic()
    s.sendall(struct.pack('<BHB', 0, len(body), 0) + body)
except OSError as e:
    print('${mark}\\tconnect-failed\\t%s' % e); sys.exit(0)
`;
}

const PYTHON_CLIENT = `${pythonSend(UWSGI_PROBE_MARK)}ms = lambda: '%.3f' % ((time.monotonic() - start) * 1000)
try:
    got = s.recv(4096)
except socket.timeout:
    print('${UWSGI_PROBE_MARK}\\ttimeout\\t%s' % ms()); sys.exit(0)
except OSError:
    got = b''
if not got:
    print('${UWSGI_PROBE_MARK}\\tclosed\\t%s' % ms()); sys.exit(0)
first = ms()
line = got.split(b'\\n', 1)[0].strip().decode('latin-1')
print('${UWSGI_PROBE_MARK}\\tanswer\\t%s\\t%s' % (first, line[:200]))
`;

export const UWSGI_HEAD_MARK = 'uwsgi-head';
/** The most of an answer the head probe reads: far past any header buffer nginx is given. */
export const UWSGI_HEAD_LIMIT = 262_144;

/**
 * The head probe reads the answer until the blank line that ends its head (or the backend closes, goes
 * quiet, or UWSGI_HEAD_LIMIT bytes came), and prints what it read as hex, for the bytes to be counted and
 * read line by line as nginx reads them:
 *
 *   uwsgi-head<TAB>END<TAB>BYTES<TAB>HEX      END: head, closed, quiet, reset or limit
 */
const PYTHON_HEAD_CLIENT = `${pythonSend(UWSGI_HEAD_MARK)}import binascii
got, end = b'', 'closed'
try:
    while b'\\n\\r\\n' not in got and b'\\n\\n' not in got:
        s.settimeout(max(0.05, start + seconds - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
        if len(got) >= ${UWSGI_HEAD_LIMIT}:
            end = 'limit'
            break
    else:
        end = 'head'
except socket.timeout:
    end = 'quiet'
except OSError:
    end = 'reset'
got = got[:${UWSGI_HEAD_LIMIT}]
print('${UWSGI_HEAD_MARK}\\t%s\\t%d\\t%s' % (end, len(got), binascii.hexlify(got).decode()))
`;

export type UwsgiTarget = { kind: 'unix'; socket: string } | { kind: 'tcp'; host: string; port: number };

/** The request's CGI-style vars, as nginx's uwsgi_params sends them. */
export function uwsgiRequestVars(path: string, host: string): [string, string][] {
  const q = path.indexOf('?');
  return [
    ['REQUEST_METHOD', 'GET'],
    ['REQUEST_URI', path],
    ['PATH_INFO', q < 0 ? path : path.slice(0, q)],
    ['QUERY_STRING', q < 0 ? '' : path.slice(q + 1)],
    ['SERVER_PROTOCOL', 'HTTP/1.1'],
    ['SERVER_NAME', host],
    ['SERVER_PORT', '80'],
    ['REMOTE_ADDR', '127.0.0.1'],
    ['HTTP_HOST', host],
  ];
}

function pythonCommand(script: string, target: UwsgiTarget, vars: readonly (readonly [string, string])[], seconds: number): string[] {
  for (const [name, value] of vars) {
    if (name === '' || name.includes('=') || `${name}${value}`.includes('\0')) throw new RangeError(`not a uwsgi var we can send: ${JSON.stringify(name)}`);
  }
  const where = target.kind === 'unix' ? ['unix', target.socket, '-'] : ['tcp', target.host.replace(/^\[|\]$/g, ''), String(target.port)];
  return ['timeout', '-k', '1', String(seconds + 3), 'python3', '-c', script, ...where, String(seconds), ...vars.map(([n, v]) => `${n}=${v}`)];
}

/** Times the first byte of the answer. */
export function uwsgiProbeCommand(target: UwsgiTarget, vars: readonly (readonly [string, string])[], seconds: number): string[] {
  return pythonCommand(PYTHON_CLIENT, target, vars, seconds);
}

/** Reads the answer's head, byte for byte. */
export function uwsgiHeadProbeCommand(target: UwsgiTarget, vars: readonly (readonly [string, string])[], seconds: number): string[] {
  return pythonCommand(PYTHON_HEAD_CLIENT, target, vars, seconds);
}

/** Our uwsgi head probe, known by the mark in its script. */
export const isUwsgiHeadProbe = (r: { argv: readonly string[] }): boolean => r.argv[4] === 'python3' && r.argv[6]?.includes(`'${UWSGI_HEAD_MARK}`) === true;

export interface UwsgiHead {
  /** The connection was made and the request sent. */
  connected: boolean;
  /** What came back, up to the end of the head (or all of it when the head never ended). */
  bytes: Uint8Array;
  /** The bytes of the head itself, through the blank line that ends it; null when no complete head came. */
  headBytes: number | null;
  end: 'head' | 'closed' | 'quiet' | 'reset' | 'limit' | 'connect-failed' | 'no-python' | 'other';
  message?: string;
}

export function parseUwsgiHead(result: { code: number | null; stdout: string; stderr: string }): UwsgiHead {
  const line = result.stdout.split('\n').find((l) => l.startsWith(`${UWSGI_HEAD_MARK}\t`));
  if (!line) {
    const missing = result.code === 127 || /python3: (?:command )?not found|No such file/.test(result.stderr);
    return { connected: false, bytes: new Uint8Array(), headBytes: null, end: missing ? 'no-python' : 'other', message: result.stderr.trim().split('\n').at(-1) ?? '' };
  }
  const [, end = '', second = '', hex = ''] = line.split('\t');
  if (end === 'connect-failed') return { connected: false, bytes: new Uint8Array(), headBytes: null, end, message: second };
  const bytes = Uint8Array.from((hex.match(/[0-9a-f]{2}/g) ?? []).map((h) => Number.parseInt(h, 16)));
  const known = ['head', 'closed', 'quiet', 'reset', 'limit'] as const;
  const kind = known.find((k) => k === end) ?? 'other';
  return { connected: true, bytes, headBytes: kind === 'head' ? headEnd(bytes) : null, end: kind };
}

/** Where the head ends: just past the first empty line (CRLF or a bare LF, as nginx accepts both); null without one. */
export function headEnd(bytes: Uint8Array): number | null {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return null;
}

export interface UwsgiAnswer {
  /** The status of the backend's first line; null when none came. */
  status: number | null;
  firstByteMs: number | null;
  totalMs: number | null;
  error?: 'timeout' | 'closed' | 'refused' | 'no-python' | 'other';
  message?: string;
}

export function parseUwsgiProbe(result: { code: number | null; stdout: string; stderr: string }): UwsgiAnswer {
  const line = result.stdout.split('\n').find((l) => l.startsWith(`${UWSGI_PROBE_MARK}\t`));
  if (!line) {
    const missing = result.code === 127 || /python3: (?:command )?not found|No such file/.test(result.stderr);
    return { status: null, firstByteMs: null, totalMs: null, error: missing ? 'no-python' : 'other', message: result.stderr.trim().split('\n').at(-1) ?? '' };
  }
  const [, kind, a = '', b = ''] = line.split('\t');
  const num = (t: string) => (t !== '' && Number.isFinite(Number(t)) ? Number(t) : null);
  if (kind === 'answer') {
    const status = /^HTTP\/\d(?:\.\d)? (\d{3})\b/.exec(b) ?? /^Status: (\d{3})\b/i.exec(b);
    return { status: status ? Number(status[1]) : null, firstByteMs: num(a), totalMs: num(a), ...(status ? {} : { error: 'other' as const, message: `not an HTTP status line: ${b}` }) };
  }
  if (kind === 'timeout') return { status: null, firstByteMs: null, totalMs: num(a), error: 'timeout', message: 'no byte came back' };
  if (kind === 'closed') return { status: null, firstByteMs: null, totalMs: num(a), error: 'closed', message: 'the backend closed the connection without a byte' };
  return { status: null, firstByteMs: null, totalMs: null, error: /refused/i.test(a) ? 'refused' : 'other', message: a };
}
