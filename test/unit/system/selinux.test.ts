import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxConnectDenials, parseAvcDenials, parseGetenforce, parseGetsebool, portType } from '../../../src/system/selinux.js';

// See test/fixtures/selinux/README.md: *.json are captured on Debian; *-written.* are written by hand.
const dir = new URL('../../fixtures/selinux/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const run = (name: string) => JSON.parse(text(`${name}.json`)) as { code: number; stdout: string; stderr: string };

describe('getenforce', () => {
  it('reads the mode a real Debian box reports (captured)', () => {
    expect(parseGetenforce(run('getenforce-disabled'))).toBe('disabled');
  });

  it('reads enforcing and permissive (written from getenforce(8))', () => {
    expect(parseGetenforce({ code: 0, stdout: text('getenforce-enforcing-written.txt') })).toBe('enforcing');
    expect(parseGetenforce({ code: 0, stdout: text('getenforce-permissive-written.txt') })).toBe('permissive');
  });

  it('not this: no getenforce at all means no SELinux tools', () => {
    expect(parseGetenforce({ code: null, stdout: '', failure: 'not-found' })).toBe('absent');
    expect(parseGetenforce({ code: 1, stdout: '' })).toBe('absent');
  });
});

describe('getsebool', () => {
  it('reads the boolean (written from getsebool(8))', () => {
    expect(parseGetsebool(text('getsebool-off-written.txt'), 'httpd_can_network_connect')).toBe(false);
    expect(parseGetsebool(text('getsebool-on-written.txt'), 'httpd_can_network_connect')).toBe(true);
  });

  it('not this: SELinux disabled (captured), or another boolean', () => {
    const disabled = run('getsebool-disabled');
    expect(disabled.code).toBe(1);
    expect(parseGetsebool(disabled.stdout, 'httpd_can_network_connect')).toBeNull();
    expect(parseGetsebool(disabled.stderr, 'httpd_can_network_connect')).toBeNull();
    expect(parseGetsebool(text('getsebool-on-written.txt'), 'httpd_can_network_relay')).toBeNull();
  });
});

describe('AVC denials', () => {
  it("finds nginx's denied name_connect in ausearch output, with the port and its type", () => {
    const denials = parseAvcDenials(run('ausearch-avc-nginx-name-connect').stdout);
    expect(denials).toHaveLength(1);
    const [denial] = nginxConnectDenials(denials, 3000);
    expect(denial).toMatchObject({ permission: 'name_connect', comm: 'nginx', port: 3000, tclass: 'tcp_socket', permissive: false });
    expect(portType(denial!)).toBe('ntop_port_t');
  });

  it('reads the same record straight from audit.log text', () => {
    expect(nginxConnectDenials(parseAvcDenials(text('audit-log-avc-written.log')))).toHaveLength(1);
  });

  it('not this: denials of other programs, other classes, logged-only ones, other ports', () => {
    const others = parseAvcDenials(text('audit-log-other-denials-written.log'));
    expect(others.map((d) => d.permission)).toEqual(['write', 'connectto', 'name_connect']);
    const connect = nginxConnectDenials(others, 8080);
    expect(connect).toHaveLength(1);
    expect(connect[0]!.permissive).toBe(true);
    expect(nginxConnectDenials(others, 3000)).toEqual([]);
    expect(nginxConnectDenials(parseAvcDenials(run('ausearch-avc-nginx-name-connect').stdout), 8080)).toEqual([]);
  });

  it('not this: no audit log, no matches (captured)', () => {
    for (const name of ['ausearch-no-audit-log', 'ausearch-no-matches', 'tail-audit-log-missing']) {
      const r = run(name);
      expect(r.code).toBe(1);
      expect(parseAvcDenials(r.stdout + r.stderr)).toEqual([]);
    }
  });
});
