import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findCandidates, processTree } from '../../../src/facts/candidates.js';
import { parsePs } from '../../../src/system/ps.js';
import { parseSs } from '../../../src/system/ss.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/system/${name}`, import.meta.url), 'utf8');
// Captured with python3 listeners on 38101-38108 and two nginx (38110 on 127.0.0.1 and ::1, 38111).
const listeners = parseSs(fixture('ss-python-tcp-unix-nginx.txt'));
const processes = parsePs(fixture('ps-nginx-phpfpm-python.txt'));
const nginxPids = new Set([...processTree(processes, 11276), ...processTree(processes, 11281)]);

describe('finding where the backend really listens', () => {
  it('finds a listener on the dialled address as exact', () => {
    const found = findCandidates('127.0.0.1', 38101, 'proxy', listeners, nginxPids);
    expect(found.exact.map((l) => l.port)).toEqual([38101]);
  });

  it('counts a wildcard listener as reachable on the dialled address', () => {
    expect(findCandidates('127.0.0.1', 38103, 'proxy', listeners, nginxPids).exact).toHaveLength(1);
    expect(findCandidates('127.0.0.1', 38104, 'proxy', listeners, nginxPids).exact).toHaveLength(1);
  });

  it('sees a backend on ::1 as another address when nginx dials 127.0.0.1', () => {
    const found = findCandidates('127.0.0.1', 38102, 'proxy', listeners, nginxPids);
    expect(found.exact).toEqual([]);
    expect(found.otherAddress.map((l) => l.address)).toEqual(['::1']);
  });

  it('ranks other ports nearest first and never offers nginx itself', () => {
    const found = findCandidates('127.0.0.1', 38109, 'proxy', listeners, nginxPids);
    expect(
      found.otherPort
        .map((l) => l.port)
        .slice(0, 2)
        .sort(),
    ).toEqual([38106, 38112]);
    expect(found.otherPort.some((l) => l.port === 38110 || l.port === 38111)).toBe(false);
    const distances = found.otherPort.map((l) => Math.abs((l.port as number) - 38109));
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });

  it('not this: a listener only on ::1 is no candidate on another port for 127.0.0.1', () => {
    const found = findCandidates('127.0.0.1', 38109, 'proxy', listeners, nginxPids);
    expect(found.otherPort.some((l) => l.port === 38102)).toBe(false);
  });
});
