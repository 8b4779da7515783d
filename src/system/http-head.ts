/**
 * Reads the head of a raw HTTP response (bytes as they came off the wire) the way nginx's upstream
 * parser does, and names the first line nginx refuses: "upstream sent invalid header" (a NUL or a lone
 * CR, a space in a header name, a line with no colon) or "no valid HTTP/1.0 header" (a bad status line),
 * and, for a chunked body, "invalid chunked response" (a chunk size that is not hex).
 */
import { showBytes } from './raw-probe.js';

export interface HeadProblem {
  /** 1 for the status line, 2 for the first header line, ... */
  line: number;
  /** The line as it came, escaped: control bytes as \xHH, as nginx prints them. */
  text: string;
  /** In plain words: what is wrong with it. */
  reason: string;
}

export interface HeadReading {
  /** The status line, escaped; null when nothing came back. */
  status: string | null;
  /** Every line of the head (status line first), escaped, up to 40. */
  lines: string[];
  /** The head ended with an empty line within what was read. */
  complete: boolean;
  problem: HeadProblem | null;
}

// RFC 9110 token characters: what a header name may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function splitLines(bytes: Uint8Array): { raw: Uint8Array; bareLf: boolean }[] {
  const out: { raw: Uint8Array; bareLf: boolean }[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    const crlf = i > start && bytes[i - 1] === 0x0d;
    out.push({ raw: bytes.slice(start, crlf ? i - 1 : i), bareLf: !crlf });
    start = i + 1;
  }
  if (start < bytes.length) out.push({ raw: bytes.slice(start), bareLf: false });
  return out;
}

const latin1 = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

function headerProblem(raw: Uint8Array, afterBareLf: boolean): string | null {
  if (raw.includes(0)) return 'it holds a NUL byte';
  if (raw.includes(0x0d)) return 'it holds a carriage return (\\r) that does not end the line';
  const text = latin1(raw);
  const colon = text.indexOf(':');
  const cut = afterBareLf ? ': the line above ended with a bare line feed (\\n), so this is the rest of that value, cut off' : '';
  if (colon === -1) return `it has no colon, so it is no header at all${cut}`;
  const name = text.slice(0, colon);
  if (name === '') return 'the header name is empty';
  if (!TOKEN.test(name)) return `the header name "${showBytes(raw.slice(0, colon))}" holds a space or a character names may not have${cut}`;
  return null;
}

/** The first problem nginx would refuse in this response head (and the first chunk size of a chunked body). */
export function readResponseHead(bytes: Uint8Array): HeadReading {
  const lines = splitLines(bytes);
  const end = lines.findIndex((l) => l.raw.length === 0);
  const head = end === -1 ? lines : lines.slice(0, end);
  const shown = head.slice(0, 40).map((l) => showBytes(l.raw, 200));
  const reading: HeadReading = { status: shown[0] ?? null, lines: shown, complete: end !== -1, problem: null };
  const first = head[0];
  if (!first) return reading;
  if (!/^HTTP\/\d\.\d \d{3}(?: |$)/.test(latin1(first.raw)) || first.raw.includes(0) || first.raw.includes(0x0d)) {
    reading.problem = { line: 1, text: showBytes(first.raw, 200), reason: 'the status line is not "HTTP/x.y NNN reason"' };
    return reading;
  }
  for (let i = 1; i < head.length; i++) {
    const line = head[i]!;
    const why = headerProblem(line.raw, head[i - 1]!.bareLf);
    if (why) {
      reading.problem = { line: i + 1, text: showBytes(line.raw, 200), reason: why };
      return reading;
    }
  }
  const chunked = head.slice(1).some((l) => /^transfer-encoding:.*\bchunked\b/i.test(latin1(l.raw)));
  const size = end !== -1 ? lines[end + 1] : undefined;
  if (chunked && size && !/^[0-9A-Fa-f]+[ \t]*(?:;.*)?$/.test(latin1(size.raw))) {
    reading.problem = { line: end + 2, text: showBytes(size.raw, 200), reason: 'the body is chunked, and this first chunk size is not a hexadecimal number' };
  }
  return reading;
}

/** nginx's escaped text (`"X-Trace: abc\x0d..."`) back to the bytes it shows, without the trailing "...". */
export function unescapeNginx(detail: string): string {
  return detail.replace(/\.\.\.$/, '').replace(/\\x([0-9a-fA-F]{2})/g, (_w, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}
