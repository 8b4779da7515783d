import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isOwnAddress, parseIpAddr } from '../../../src/system/ip-addr.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/ip-addr/${name}`, import.meta.url), 'utf8');

describe('ip -o addr show', () => {
  it('reads every address with its interface and family', () => {
    const own = parseIpAddr(fixture('ip-o-addr-show-netns-veth.txt'));
    expect(own.map((a) => `${a.iface} ${a.address}/${a.prefix}`)).toEqual(['lo 127.0.0.1/8', 'lo ::1/128', 'bgwcapb 10.250.99.2/24', expect.stringMatching(/^bgwcapb fe80::/)]);
  });

  it('knows loopback and its own addresses as this box', () => {
    const own = parseIpAddr(fixture('ip-o-addr-show-netns-veth.txt'));
    expect(isOwnAddress('10.250.99.2', own)).toBe(true);
    expect(isOwnAddress('127.0.0.2', own)).toBe(true);
    expect(isOwnAddress('[::1]', own)).toBe(true);
  });

  it('not this: the peer across the veth is another box', () => {
    const own = parseIpAddr(fixture('ip-o-addr-show-netns-veth.txt'));
    expect(isOwnAddress('10.250.99.1', own)).toBe(false);
    expect(isOwnAddress('192.0.2.2', own)).toBe(false);
  });
});
