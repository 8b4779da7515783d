/**
 * The response buffers of nginx's upstream modules (proxy, fastcgi, uwsgi, scgi, grpc): what a location
 * really uses, the consistency rules nginx checks at `nginx -t`, and a bigger header buffer that keeps
 * those rules. Pure; the rules were checked against nginx 1.22's own `nginx -t` (test/fixtures/nginx-buffers/).
 */
import type { Directive } from './config-types.js';
import { effectiveDirective, type Route } from './route.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** An nginx size: "4k", "8K", "1m", "512"; null when it is not one. */
export function parseNginxSize(value: string): number | null {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value.trim());
  return m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] as number) : null;
}

/** A size as nginx reads it, in the largest unit that divides it. */
export function formatNginxSize(bytes: number): string {
  if (bytes % 1024 ** 2 === 0 && bytes >= 1024 ** 2 * 4) return `${bytes / 1024 ** 2}m`;
  if (bytes % 1024 === 0) return `${bytes / 1024}k`;
  return String(bytes);
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n && p < 2 ** 40) p *= 2;
  return p;
}

/** One setting as a location sees it: its value, and the directive that sets it (null: nginx's default). */
export interface Setting<T> {
  value: T;
  set: Directive | null;
}

export interface Buffers {
  /** proxy, fastcgi, uwsgi, scgi or grpc: the directives' prefix. */
  module: string;
  bufferSize: Setting<number>;
  /** grpc has only grpc_buffer_size; the others have all of these. */
  buffers: Setting<{ count: number; size: number }> | null;
  /** Explicit values only; unset means nginx derives them (2 x the larger buffer; 1g). */
  busy: Setting<number | null> | null;
  tempWrite: Setting<number | null> | null;
  maxTemp: Setting<number | null> | null;
}

function sizeSetting(route: Route, name: string): Setting<number | null> {
  const set = effectiveDirective(route, name);
  return { value: set ? parseNginxSize(set.args[0] ?? '') : null, set };
}

/** The buffers the route's location uses, with nginx's defaults (one memory page, 8 of them) where none is set. */
export function effectiveBuffers(route: Route, pageSize: number): Buffers {
  const module = route.pass?.module ?? 'proxy';
  const size = sizeSetting(route, `${module}_buffer_size`);
  const bufferSize = { value: size.value ?? pageSize, set: size.set };
  if (module === 'grpc') return { module, bufferSize, buffers: null, busy: null, tempWrite: null, maxTemp: null };
  const bufsSet = effectiveDirective(route, `${module}_buffers`);
  const count = Number.parseInt(bufsSet?.args[0] ?? '', 10);
  const bufSize = parseNginxSize(bufsSet?.args[1] ?? '');
  const buffers = { value: bufsSet && count > 0 && bufSize ? { count, size: bufSize } : { count: 8, size: pageSize }, set: bufsSet };
  return {
    module,
    bufferSize,
    buffers,
    busy: sizeSetting(route, `${module}_busy_buffers_size`),
    tempWrite: sizeSetting(route, `${module}_temp_file_write_size`),
    maxTemp: sizeSetting(route, `${module}_max_temp_file_size`),
  };
}

/** The values nginx checks, with its defaults filled in. */
export interface BufferValues {
  bufferSize: number;
  count: number;
  size: number;
  /** null: not set, nginx uses 2 x max(bufferSize, size). */
  busy: number | null;
  tempWrite: number | null;
  /** null: not set (1g); 0 turns temporary files off. */
  maxTemp: number | null;
}

export function valuesOf(b: Buffers): BufferValues {
  return {
    bufferSize: b.bufferSize.value,
    count: b.buffers?.value.count ?? 8,
    size: b.buffers?.value.size ?? b.bufferSize.value,
    busy: b.busy?.value ?? null,
    tempWrite: b.tempWrite?.value ?? null,
    maxTemp: b.maxTemp?.value ?? null,
  };
}

/**
 * The rules nginx enforces when it merges a location's upstream buffers; each broken one as nginx words it
 * (without the module prefix). Empty: `nginx -t` accepts these values.
 */
export function bufferRuleBreaks(v: BufferValues): string[] {
  const broken: string[] = [];
  if (v.count < 2) return ['there must be at least 2 buffers'];
  const larger = Math.max(v.bufferSize, v.size);
  const busy = v.busy ?? 2 * larger;
  if (busy < larger) broken.push('busy_buffers_size must be equal to or greater than the maximum of buffer_size and one of the buffers');
  else if (busy > (v.count - 1) * v.size) broken.push('busy_buffers_size must be less than the size of all buffers minus one buffer');
  if ((v.tempWrite ?? 2 * larger) < larger) broken.push('temp_file_write_size must be equal to or greater than the maximum of buffer_size and one of the buffers');
  if (v.maxTemp !== null && v.maxTemp !== 0 && v.maxTemp < larger) broken.push('max_temp_file_size must be 0 or at least the maximum of buffer_size and one of the buffers');
  return broken;
}

/** A directive to write in the failing location, and why. */
export interface BufferChange {
  directive: string;
  args: string[];
  why: string;
}

/**
 * How big the header buffer must become: the next power of two above the measured headers plus room
 * (a quarter more, at least 1 KB) for headers that grow (cookies, tokens). Unmeasured: twice the current one.
 */
export function neededBufferSize(headerBytes: number | null, current: number): number {
  if (headerBytes === null) return nextPowerOfTwo(current * 2);
  const target = headerBytes + Math.max(1024, Math.ceil(headerBytes / 4));
  return nextPowerOfTwo(Math.max(target, current + 1, 1024));
}

/**
 * The smallest set of changes that gives the location a header buffer of `wanted` bytes and still passes
 * `nginx -t`: the buffer size, then the body buffers only if (count - 1) of them no longer hold it, then the
 * busy / temp-file sizes only where nginx's derived or written value would break a rule.
 */
export function bufferChanges(b: Buffers, wanted: number): BufferChange[] {
  const m = b.module;
  const changes: BufferChange[] = [{ directive: `${m}_buffer_size`, args: [formatNginxSize(wanted)], why: 'room for the whole response header' }];
  if (!b.buffers) return changes;
  const v = valuesOf(b);
  let size = v.size;
  if ((v.count - 1) * size < wanted) {
    size = Math.max(size, nextPowerOfTwo(Math.ceil(wanted / (v.count - 1))));
    changes.push({ directive: `${m}_buffers`, args: [String(v.count), formatNginxSize(size)], why: `${v.count - 1} of the ${v.count} body buffers must hold at least the header buffer` });
  }
  const larger = Math.max(wanted, size);
  const busy = v.busy ?? 2 * larger;
  if (busy < larger || busy > (v.count - 1) * size) {
    const fixed = Math.min(2 * larger, (v.count - 1) * size);
    changes.push({ directive: `${m}_busy_buffers_size`, args: [formatNginxSize(fixed)], why: `nginx wants it between ${formatNginxSize(larger)} and ${formatNginxSize((v.count - 1) * size)}` });
  }
  if (v.tempWrite !== null && v.tempWrite < larger) {
    changes.push({ directive: `${m}_temp_file_write_size`, args: [formatNginxSize(2 * larger)], why: `nginx wants at least ${formatNginxSize(larger)}` });
  }
  if (v.maxTemp !== null && v.maxTemp !== 0 && v.maxTemp < larger) {
    changes.push({ directive: `${m}_max_temp_file_size`, args: [formatNginxSize(larger)], why: `nginx wants 0 or at least ${formatNginxSize(larger)}` });
  }
  return changes;
}

/** The values after the changes, to check them with bufferRuleBreaks. */
export function applyChanges(v: BufferValues, module: string, changes: readonly BufferChange[]): BufferValues {
  const out = { ...v };
  for (const c of changes) {
    const name = c.directive.slice(module.length + 1);
    if (name === 'buffers') {
      out.count = Number(c.args[0]);
      out.size = parseNginxSize(c.args[1] ?? '') ?? out.size;
    } else {
      const value = parseNginxSize(c.args[0] ?? '');
      if (name === 'buffer_size' && value !== null) out.bufferSize = value;
      if (name === 'busy_buffers_size') out.busy = value;
      if (name === 'temp_file_write_size') out.tempWrite = value;
      if (name === 'max_temp_file_size') out.maxTemp = value;
    }
  }
  return out;
}
