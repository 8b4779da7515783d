import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accessSummary, COMBINED, formatPattern, missingUpstreamFields, parseAccessLog } from '../../../src/history/access-log.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/history/${name}`, import.meta.url), 'utf8');
const UPSTREAMLOG = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $upstream_addr $upstream_status $upstream_response_time';

describe('access logs as nginx wrote them in the lab', () => {
  it('combined: time, status and path of each line; the upstream fields are missing, and the log_format that adds them is given', () => {
    const lines = parseAccessLog(fixture('restart-window/nginx__shop.example.access.log'), COMBINED, 2026);
    expect(lines.map((l) => [new Date(l.time).toISOString(), l.status, l.path])).toEqual([...Array(4).fill(['2026-12-06T11:51:28.000Z', 502, '/']), ['2026-12-06T11:51:30.000Z', 200, '/']]);
    expect(lines[0]?.upstreamStatus).toBeUndefined();
    const { missing, suggestion } = missingUpstreamFields(COMBINED);
    expect(missing).toEqual(['$upstream_addr', '$upstream_status', '$upstream_response_time']);
    // The suggestion is a format whose lines this parser reads with the upstream fields.
    const format = /^log_format upstreamlog '(.*)';$/.exec(suggestion ?? '')?.[1] ?? '';
    expect(format).toBe(UPSTREAMLOG);
  });

  it('a format with $upstream_addr $upstream_status $upstream_response_time: 504 from 127.0.0.1:8000 after 2.002 s', () => {
    const lines = parseAccessLog(fixture('slow-endpoint/nginx__api.example.access.log'), UPSTREAMLOG, 2026);
    expect(lines.map((l) => [l.status, l.path, l.upstreamAddr, l.upstreamStatus, l.upstreamTime])).toEqual([
      [200, '/', '127.0.0.1:8000', '200', '0.001'],
      [200, '/', '127.0.0.1:8000', '200', '0.008'],
      [504, '/slow', '127.0.0.1:8000', '504', '2.002'],
      [504, '/slow', '127.0.0.1:8000', '504', '2.002'],
      [200, '/slow', '127.0.0.1:8000', '200', '0.001'],
    ]);
    expect(missingUpstreamFields(UPSTREAMLOG)).toEqual({ missing: [], suggestion: null });
  });

  it('a line of another format is skipped, not misread', () => {
    expect(parseAccessLog(fixture('restart-window/nginx__shop.example.access.log'), UPSTREAMLOG, 2026)).toEqual([]);
    expect(formatPattern(COMBINED).vars).toContain('$status');
  });
});

describe("an episode's access-log lines", () => {
  it('counts the 502s and 504s of the path in the window and names the upstream the format records', () => {
    const lines = parseAccessLog(fixture('slow-endpoint/nginx__api.example.access.log'), UPSTREAMLOG, 2026);
    const from = Date.UTC(2026, 11, 6, 11, 51, 46);
    expect(accessSummary(lines, '/slow', from, from + 2000)).toBe('access log: 2 × 504 for /slow; the last: upstream 127.0.0.1:8000 answered 504 after 2.002 s');
    expect(accessSummary(lines, '/', from, from + 2000)).toBeNull();
    const combined = parseAccessLog(fixture('restart-window/nginx__shop.example.access.log'), COMBINED, 2026);
    expect(accessSummary(combined, '/', Date.UTC(2026, 11, 6, 11, 51, 28), Date.UTC(2026, 11, 6, 11, 51, 28))).toBe('access log: 4 × 502 for /');
  });
});
