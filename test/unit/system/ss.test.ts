import { describe, expect, it } from 'vitest';
import { listenerAccepts, parseSs, parseUsers } from '../../../src/system/ss.js';
import { fixture } from './fixture.js';

const root = parseSs(fixture('ss-python-tcp-unix-nginx.txt'));
const at = (port: number, address?: string) => root.find((l) => l.port === port && (address === undefined || l.address === address));

describe('parseSs on ss -Hltnxp run as root', () => {
  it('reads every listener: 5 unix, 14 tcp', () => {
    expect(root).toHaveLength(19);
    expect(root.filter((l) => l.netid === 'unix')).toHaveLength(5);
  });

  it('reads IPv4 listeners', () => {
    expect(at(38101)).toEqual({ netid: 'tcp', address: '127.0.0.1', port: 38101, path: null, process: 'python3', pid: 11267, pids: [11267] });
    expect(at(38103)).toMatchObject({ netid: 'tcp', address: '0.0.0.0', process: 'python3', pid: 11269 });
  });

  it('reads IPv6 listeners without brackets', () => {
    expect(at(38102)).toMatchObject({ netid: 'tcp6', address: '::1', process: 'python3', pid: 11268 });
    expect(at(38107)).toMatchObject({ netid: 'tcp6', address: '::' });
    expect(at(38105)).toMatchObject({ netid: 'tcp6', address: '::ffff:127.0.0.1' });
  });

  it('keeps "*" (an IPv6 socket that takes IPv4 too)', () => {
    expect(at(38104)).toMatchObject({ netid: 'tcp6', address: '*', process: 'python3', pid: 11270 });
  });

  it('moves a %lo suffix to iface', () => {
    expect(at(38106)).toMatchObject({ netid: 'tcp', address: '127.0.0.1', iface: 'lo' });
    expect(at(38108)).toMatchObject({ netid: 'tcp6', address: '::1', iface: 'lo' });
    expect(at(38101)).not.toHaveProperty('iface');
  });

  it('keeps every pid holding the socket, first listed first', () => {
    expect(at(38110, '127.0.0.1')).toMatchObject({ process: 'nginx', pid: 11294, pids: [11294, 11293, 11276] });
    expect(at(38110, '::1')).toMatchObject({ netid: 'tcp6', pids: [11294, 11293, 11276] });
    expect(at(38105)?.pids).toEqual([11607, 11271]);
  });

  it('reads unix listeners, paths with spaces and abstract names', () => {
    const php = root.find((l) => l.path === '/tmp/bgcap/run/php/php.sock');
    expect(php).toEqual({
      netid: 'unix',
      address: '/tmp/bgcap/run/php/php.sock',
      port: null,
      path: '/tmp/bgcap/run/php/php.sock',
      process: 'php-fpm8.2',
      pid: 11374,
      pids: [11374, 11373, 11275],
    });
    expect(root.find((l) => l.path === '/tmp/bgcap/my sock.sock')).toMatchObject({ process: 'python3', pid: 11607 });
    expect(root.find((l) => l.path === '@bgcap-abstract')).toMatchObject({ netid: 'unix' });
    expect(root.find((l) => l.path === '/tmp/bgcap/nginx2.sock')).toMatchObject({ process: 'nginx', pids: [11283, 11281] });
  });
});

describe('parseSs on other shapes of the same output', () => {
  it('skips the header line printed without -H', () => {
    expect(parseSs(fixture('ss-header-python-tcp-unix-nginx.txt'))).toEqual(root);
  });

  it('reads output without process info (non-root): only the caller own processes are named', () => {
    const nonroot = parseSs(fixture('ss-nonroot-python-tcp-unix-nginx.txt'));
    expect(nonroot.map((l) => [l.netid, l.address, l.port])).toEqual(root.map((l) => [l.netid, l.address, l.port]));
    const named = nonroot.filter((l) => l.pid !== null);
    // nginx2 runs its worker as nobody, the user that ran ss.
    expect(named.map((l) => [l.address, l.port, l.pid])).toEqual([
      ['/tmp/bgcap/nginx2.sock', null, 11283],
      ['127.0.0.1', 38111, 11283],
    ]);
    expect(nonroot.find((l) => l.port === 38101)).toEqual({ netid: 'tcp', address: '127.0.0.1', port: 38101, path: null, process: null, pid: null });
  });

  it('reads ss -lt output, which has no Netid column', () => {
    const tcpOnly = parseSs(fixture('ss-tcp-only-no-netid-column.txt'));
    expect(tcpOnly.map((l) => [l.netid, l.address, l.port])).toEqual(root.filter((l) => l.netid !== 'unix').map((l) => [l.netid, l.address, l.port]));
  });
});

describe('not this: what parseSs must not report', () => {
  it('established, time-wait and close-wait sockets are not listeners', () => {
    const all = parseSs(fixture('ss-all-states-estab-not-listeners.txt'));
    expect(all).toHaveLength(14);
    expect(all.some((l) => l.port === 50672 || l.port === 56370 || l.port === 47758)).toBe(false);
    expect(all.filter((l) => l.port === 38114)).toHaveLength(1);
  });

  it('other command output gives nothing', () => {
    expect(parseSs(fixture('ps-nginx-phpfpm-python.txt'))).toEqual([]);
    expect(parseSs(fixture('stat-socket-dir-file-missing.stdout.txt'))).toEqual([]);
    expect(parseSs('')).toEqual([]);
  });
});

describe('parseUsers', () => {
  it('reads a process name that holds quotes and commas', () => {
    expect(parseUsers('users:(("we,ird\\"x",pid=5,fd=3),("nginx",pid=6,fd=4))')).toEqual([
      { name: 'we,ird\\"x', pid: 5 },
      { name: 'nginx', pid: 6 },
    ]);
  });
});

describe('listenerAccepts', () => {
  const l = (port: number) => at(port)!;
  it('matches exact addresses, with or without brackets', () => {
    expect(listenerAccepts(l(38101), '127.0.0.1')).toBe(true);
    expect(listenerAccepts(l(38101), '::1')).toBe(false);
    expect(listenerAccepts(l(38101), '127.0.0.2')).toBe(false);
    expect(listenerAccepts(l(38102), '[::1]')).toBe(true);
    expect(listenerAccepts(l(38102), '127.0.0.1')).toBe(false);
  });
  it('knows the wildcards', () => {
    expect(listenerAccepts(l(38103), '127.0.0.1')).toBe(true);
    expect(listenerAccepts(l(38103), '::1')).toBe(false);
    expect(listenerAccepts(l(38104), '127.0.0.1')).toBe(true);
    expect(listenerAccepts(l(38104), '::1')).toBe(true);
    expect(listenerAccepts(l(38107), '::1')).toBe(true);
    expect(listenerAccepts(l(38107), '127.0.0.1')).toBe(false);
  });
  it('lets a v4-mapped listener take its IPv4 address', () => {
    expect(listenerAccepts(l(38105), '127.0.0.1')).toBe(true);
    expect(listenerAccepts(l(38105), '127.0.0.2')).toBe(false);
  });
  it('a unix socket takes no TCP connection', () => {
    expect(listenerAccepts(root.find((x) => x.netid === 'unix')!, '127.0.0.1')).toBe(false);
  });
});
