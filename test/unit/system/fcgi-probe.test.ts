import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fcgiProbeCommand, headEnd, parseFcgiProbe } from '../../../src/system/fcgi-probe.js';

/** A run captured by scripts/capture-fcgi-probe.ts against Debian's php8.2-fpm (see test/fixtures/fcgi-probe/README.md). */
const run = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/fcgi-probe/${name}.json`, import.meta.url), 'utf8')) as { code: number; stdout: string; stderr: string };

describe('the FastCGI header probe', () => {
  it("cgi-fcgi: the stream of a script setting 40 cookies, its head plus one record header, and PHP's warning on stderr with its own", () => {
    const answer = parseFcgiProbe(run('big-cgi-fcgi'));
    // 8752 bytes of head + 8, and 85 bytes of warning + 8.
    expect(answer).toMatchObject({ client: 'cgi-fcgi', complete: true, status: 200, headBytes: 8853, stderrBytes: 93 });
    expect(answer.headLines.filter((l) => l.startsWith('Set-Cookie: '))).toHaveLength(40);
    expect(answer.stderr).toContain('PHP Warning:  many cookies');
  });

  it('python3 and perl: the raw records, counted from the first byte to the end of the head', () => {
    for (const client of ['python3', 'perl']) {
      const answer = parseFcgiProbe(run(`big-${client}`));
      // A stderr record first (the warning, 85 bytes, padded to 88, and its header), then the head in two
      // stdout records: 8752 bytes of head and two 8-byte record headers.
      expect(answer, client).toMatchObject({ client, complete: true, status: 200, headBytes: 96 + 8768, stderrBytes: 96 });
      expect(answer.headLines.filter((l) => l.startsWith('Set-Cookie: '))).toHaveLength(40);
      expect(answer.stderr).toContain('many cookies');
    }
  });

  it('a small head is small, whichever client sent it', () => {
    expect(parseFcgiProbe(run('small-cgi-fcgi')).headBytes).toBeLessThan(100);
    expect(parseFcgiProbe(run('small-python3')).headBytes).toBeLessThan(100);
    expect(parseFcgiProbe(run('small-python3')).headLines).toContain('Content-type: text/html; charset=UTF-8');
  });

  it('a Location without a Status is a 302, as nginx reads it', () => {
    expect(parseFcgiProbe(run('redirect-python3'))).toMatchObject({ status: 302, headLines: expect.arrayContaining(['Location: /login']) });
  });

  it('no socket: the connect error, and no size', () => {
    for (const name of ['no-socket-cgi-fcgi', 'no-socket-python3']) {
      const answer = parseFcgiProbe(run(name));
      expect(answer.headBytes, name).toBeNull();
      expect(answer.problem, name).toMatch(/^could not connect: .*(missing\.sock|No such file)/);
    }
  });

  it('a box without any client says so', () => {
    expect(parseFcgiProbe(run('big-no-client'))).toMatchObject({ client: null, headBytes: null, problem: expect.stringContaining('no FastCGI client') });
  });

  it('every value is its own argument, NAME=VALUE; a name we cannot send is refused', () => {
    const argv = fcgiProbeCommand({ kind: 'unix', socket: "/run/php/it's.sock" }, [['SCRIPT_FILENAME', '/srv/a b/$(id).php']]);
    expect(argv.slice(-6)).toEqual(['fcgi-probe', 'unix', "/run/php/it's.sock", '-', '262144', 'SCRIPT_FILENAME=/srv/a b/$(id).php']);
    expect(fcgiProbeCommand({ kind: 'tcp', host: '[::1]', port: 9000 }, []).slice(-4)).toEqual(['tcp', '::1', '9000', '262144']);
    expect(() => fcgiProbeCommand({ kind: 'tcp', host: '127.0.0.1', port: 9000 }, [['A=B', 'x']])).toThrow(RangeError);
  });

  it('the head ends at the first empty line, CRLF or LF', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(headEnd(enc('Status: 200\r\nA: b\r\n\r\nbody'))).toBe(21);
    expect(headEnd(enc('A: b\n\nbody'))).toBe(6);
    expect(headEnd(enc('A: b\r\n'))).toBe(-1);
  });
});
