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

const PYTHON_CLIENT = `import socket, struct, sys, time
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
    print('${UWSGI_PROBE_MARK}\\tconnect-failed\\t%s' % e); sys.exit(0)
ms = lambda: '%.3f' % ((time.monotonic() - start) * 1000)
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

export function uwsgiProbeCommand(target: UwsgiTarget, vars: readonly (readonly [string, string])[], seconds: number): string[] {
  for (const [name, value] of vars) {
    if (name === '' || name.includes('=') || `${name}${value}`.includes('\0')) throw new RangeError(`not a uwsgi var we can send: ${JSON.stringify(name)}`);
  }
  const where = target.kind === 'unix' ? ['unix', target.socket, '-'] : ['tcp', target.host.replace(/^\[|\]$/g, ''), String(target.port)];
  return ['timeout', '-k', '1', String(seconds + 3), 'python3', '-c', PYTHON_CLIENT, ...where, String(seconds), ...vars.map(([n, v]) => `${n}=${v}`)];
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
