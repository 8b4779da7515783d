import { describe, expect, it } from 'vitest';
import { parseErrorLog } from '../../../src/nginx/error-log.js';
import { classifyMessage } from '../../../src/nginx/error-log.js';
import { readResponseHead, unescapeNginx } from '../../../src/system/http-head.js';
import { parseRawProbe } from '../../../src/system/raw-probe.js';
import { run, text } from '../checks/closed-fixture.js';

const head = (name: string) => readResponseHead(parseRawProbe(run(name)).bytes);
/** What nginx printed for the same response (nginx-refused-responses.log), keyed by the request path. */
const nginxSaid = new Map(parseErrorLog(text('nginx-refused-responses.log')).map((e) => [/^GET \/raw\/(\w+)/.exec(e.request ?? '')?.[1], e]));

describe('readResponseHead: the first line nginx refuses, from the raw bytes', () => {
  it('a line feed inside a value: the rest is a line of its own, without a colon', () => {
    const reading = head('raw-http-lf-in-value');
    expect(reading.status).toBe('HTTP/1.1 200 OK');
    expect(reading.problem).toMatchObject({ line: 4, text: 'see the audit log' });
    expect(reading.problem?.reason).toMatch(/no colon.*bare line feed/);
  });

  it.each([
    ['nul', 3, 'X-Bad\\x00Name: 1', /NUL/],
    ['barecr', 3, 'X-Trace: abc\\x0ddef', /carriage return/],
    ['lf', 4, 'second line', /no colon/],
    ['nocolon', 3, 'This is not a header', /no colon/],
    ['space', 3, 'X Bad: 1', /space/],
    ['nulval', 2, 'X-V: a\\x00b', /NUL/],
  ])('%s: names line %i, the line nginx named too', (path, line, shown, reason) => {
    const reading = head(`raw-http-${path}`);
    expect(reading.problem).toMatchObject({ line, text: shown });
    expect(reading.problem?.reason).toMatch(reason);
    const error = nginxSaid.get(path)!;
    expect(error.kind).toBe('invalid-header');
    const detail = classifyMessage(error.message).detail!;
    expect(unescapeNginx(reading.problem!.text).startsWith(unescapeNginx(detail))).toBe(true);
  });

  it('a chunk size that is not hex ("invalid chunked response")', () => {
    expect(head('raw-http-chunk').problem).toMatchObject({ line: 5, text: 'zz' });
    expect(nginxSaid.get('chunk')?.kind).toBe('invalid-response');
  });

  it('a status line that is not HTTP/x.y NNN ("no valid HTTP/1.0 header")', () => {
    expect(head('raw-http-status').problem).toMatchObject({ line: 1, text: 'HTTP/1.1 abc OK' });
    expect(nginxSaid.get('status')?.kind).toBe('no-valid-http-header');
  });

  it('not this: a valid answer has no problem, and no answer has no status', () => {
    const valid = head('raw-http-valid-python');
    expect(valid).toMatchObject({ status: 'HTTP/1.0 200 OK', complete: true, problem: null });
    expect(valid.lines).toContain('Content-type: text/html; charset=utf-8');
    expect(head('raw-http-php-fpm')).toMatchObject({ status: null, problem: null, lines: [] });
  });
});
