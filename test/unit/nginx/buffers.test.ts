import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  bufferChanges,
  bufferRuleBreaks,
  effectiveBuffers,
  formatNginxSize,
  neededBufferSize,
  nextPowerOfTwo,
  parseNginxSize,
  type BufferValues,
  type Buffers,
} from '../../../src/nginx/buffers.js';
import { parseDump } from '../../../src/nginx/parse-dump.js';
import { routeRequest } from '../../../src/nginx/route.js';

// Real `nginx -t` verdicts (nginx 1.22.1, 4 KB pages): see test/fixtures/nginx-buffers/capture.ts.txt.
const load = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/nginx-buffers/${name}`, import.meta.url), 'utf8'));
type Row = { module: string; set: Record<string, string>; ok: boolean; stderr: string };
const grid: Row[] = load('nginx-t-grid.json').grid;
const proposals: (Row & { start: Record<string, string>; wanted: number; changes: string[] })[] = load('nginx-t-proposals.json').proposals;

function values(module: string, set: Record<string, string>): BufferValues {
  const size = (name: string) => (set[`${module}_${name}`] !== undefined ? parseNginxSize(set[`${module}_${name}`]!) : null);
  const bufs = set[`${module}_buffers`]?.split(' ');
  return {
    bufferSize: size('buffer_size') ?? 4096,
    count: bufs ? Number(bufs[0]) : 8,
    size: bufs ? parseNginxSize(bufs[1]!)! : 4096,
    busy: size('busy_buffers_size'),
    tempWrite: size('temp_file_write_size'),
    maxTemp: size('max_temp_file_size'),
  };
}

function buffersOf(module: string, set: Record<string, string>): Buffers {
  const v = values(module, set);
  return {
    module,
    bufferSize: { value: v.bufferSize, set: null },
    buffers: { value: { count: v.count, size: v.size }, set: null },
    busy: { value: v.busy, set: null },
    tempWrite: { value: v.tempWrite, set: null },
    maxTemp: { value: v.maxTemp, set: null },
  };
}

describe('nginx sizes', () => {
  it('reads and writes the units nginx uses', () => {
    expect(parseNginxSize('4k')).toBe(4096);
    expect(parseNginxSize('8K')).toBe(8192);
    expect(parseNginxSize('1m')).toBe(1048576);
    expect(parseNginxSize('512')).toBe(512);
    expect(formatNginxSize(16384)).toBe('16k');
    expect(formatNginxSize(8 * 1048576)).toBe('8m');
    expect(formatNginxSize(1048576)).toBe('1024k');
    expect(formatNginxSize(1000)).toBe('1000');
  });

  it('not this: what nginx would refuse', () => {
    expect(parseNginxSize('4 k')).toBeNull();
    expect(parseNginxSize('4kb')).toBeNull();
    expect(parseNginxSize('')).toBeNull();
  });
});

describe("nginx's buffer rules, against nginx -t itself", () => {
  it(`agrees with nginx -t on all ${grid.length} captured combinations`, () => {
    for (const row of grid) expect({ set: row.set, ok: bufferRuleBreaks(values(row.module, row.set)).length === 0 }).toEqual({ set: row.set, ok: row.ok });
    expect(grid.filter((r) => !r.ok).length).toBeGreaterThan(100);
  });

  it('names the rule nginx names', () => {
    const tooBusy = grid.find((r) => !r.ok && r.stderr.includes('minus one buffer'))!;
    expect(bufferRuleBreaks(values(tooBusy.module, tooBusy.set))[0]).toContain('minus one buffer');
    const tooSmall = grid.find((r) => !r.ok && r.stderr.includes('busy_buffers_size" must be equal to or greater'))!;
    expect(bufferRuleBreaks(values(tooSmall.module, tooSmall.set))[0]).toContain('equal to or greater');
  });

  it('the classic trap: proxy_buffer_size 16k alone fails with the default 8 4k buffers', () => {
    const row = grid.find((r) => r.module === 'proxy' && JSON.stringify(r.set) === '{"proxy_buffer_size":"16k"}')!;
    expect(row.ok).toBe(false);
    expect(row.stderr).toContain('"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer');
  });
});

describe('the changes proposed for a bigger header buffer', () => {
  it(`pass nginx -t from every valid start (${proposals.length} real runs)`, () => {
    expect(proposals.length).toBeGreaterThan(500);
    for (const p of proposals) expect({ start: p.start, wanted: p.wanted, ok: p.ok }).toEqual({ start: p.start, wanted: p.wanted, ok: true });
  });

  it('are what the planner proposes today, and keep the rules by our own arithmetic', () => {
    for (const p of proposals) {
      const changes = bufferChanges(buffersOf(p.module, p.start), p.wanted);
      expect(changes.map((c) => `${c.directive} ${c.args.join(' ')}`)).toEqual(p.changes);
      expect(bufferRuleBreaks(applyChanges(values(p.module, p.start), p.module, changes))).toEqual([]);
    }
  });

  it('changes only the header buffer when the defaults still fit', () => {
    expect(bufferChanges(buffersOf('proxy', {}), 8192).map((c) => c.directive)).toEqual(['proxy_buffer_size']);
  });

  it('16k with default buffers also sets busy buffers, 64k grows the body buffers too', () => {
    expect(bufferChanges(buffersOf('proxy', {}), 16384).map((c) => `${c.directive} ${c.args.join(' ')}`)).toEqual(['proxy_buffer_size 16k', 'proxy_busy_buffers_size 28k']);
    expect(bufferChanges(buffersOf('fastcgi', {}), 65536).map((c) => `${c.directive} ${c.args.join(' ')}`)).toEqual([
      'fastcgi_buffer_size 64k',
      'fastcgi_buffers 8 16k',
      'fastcgi_busy_buffers_size 112k',
    ]);
  });
});

describe('how big the header buffer must be', () => {
  it('the next power of two above the measured header plus room', () => {
    expect(neededBufferSize(9291, 4096)).toBe(16384);
    expect(neededBufferSize(5000, 4096)).toBe(8192);
    expect(neededBufferSize(7500, 4096)).toBe(16384); // 7500 + 1875 room > 8k
    expect(neededBufferSize(39830, 4096)).toBe(65536);
  });

  it('always more than today, and twice today when nothing was measured', () => {
    expect(neededBufferSize(100, 4096)).toBe(8192);
    expect(neededBufferSize(null, 8192)).toBe(16384);
    expect(nextPowerOfTwo(4097)).toBe(8192);
  });
});

describe('the buffers a location really uses', () => {
  const config = parseDump(`# configuration file /etc/nginx/nginx.conf:
http {
    proxy_buffers 4 8k;
    server {
        listen 80;
        proxy_buffer_size 8k;
        location /a/ { proxy_pass http://127.0.0.1:1; }
        location /b/ { proxy_pass http://127.0.0.1:1; proxy_buffer_size 32k; proxy_busy_buffers_size 24k; }
        location /c/ { grpc_pass grpc://127.0.0.1:1; }
    }
}
`);
  const at = (path: string) => effectiveBuffers(routeRequest(config, { port: 80, hostHeader: 'x', path })!, 4096);

  it('inherits from server and http, and says where each value is written', () => {
    const a = at('/a/');
    expect(a.bufferSize).toMatchObject({ value: 8192, set: { line: 5 } });
    expect(a.buffers).toMatchObject({ value: { count: 4, size: 8192 }, set: { line: 2 } });
    expect(a.busy).toEqual({ value: null, set: null });
    const b = at('/b/');
    expect(b.bufferSize).toMatchObject({ value: 32768, set: { line: 7 } });
    expect(b.busy?.value).toBe(24576);
  });

  it('grpc has a header buffer only', () => {
    expect(at('/c/')).toMatchObject({ module: 'grpc', bufferSize: { value: 4096, set: null }, buffers: null });
    expect(bufferChanges(at('/c/'), 16384).map((c) => c.directive)).toEqual(['grpc_buffer_size']);
  });
});
