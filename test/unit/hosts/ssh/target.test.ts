import { describe, expect, it } from 'vitest';
import { SshError } from '../../../../src/hosts/ssh/errors.js';
import { parseTarget, targetLabel } from '../../../../src/hosts/ssh/target.js';

describe('parseTarget', () => {
  it.each([
    ['web1', { host: 'web1' }],
    ['root@web1', { user: 'root', host: 'web1' }],
    ['root@web1:2222', { user: 'root', host: 'web1', port: 2222 }],
    ['web1.example.com:22', { host: 'web1.example.com', port: 22 }],
    ['10.0.0.5:2200', { host: '10.0.0.5', port: 2200 }],
    ['deploy@[::1]:2222', { user: 'deploy', host: '::1', port: 2222 }],
    ['[fe80::1%eth0]:22', { host: 'fe80::1%eth0', port: 22 }],
    ['[::1]', { host: '::1' }],
    ['::1', { host: '::1' }],
    ['admin@2001:db8::5', { user: 'admin', host: '2001:db8::5' }],
    ['ssh://ops@bastion:2022', { user: 'ops', host: 'bastion', port: 2022 }],
    ['ssh://bastion/', { host: 'bastion' }],
    ['first.last@web1', { user: 'first.last', host: 'web1' }],
    ['user@corp.example@web1', { user: 'user@corp.example', host: 'web1' }],
  ])('%s', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['@web1', 'user name before @ is empty'],
    ['root@', 'host is empty'],
    ['web1:0', 'port "0"'],
    ['web1:65536', 'port "65536"'],
    ['web1:ssh', 'port "ssh"'],
    ['[::1', 'no closing ]'],
    ['[::1]2222', 'unexpected "2222"'],
    ['-oProxyCommand=x', 'not a host name'],
    ['we b1', 'not a host name'],
    ['ro ot@web1', 'user name'],
  ])('refuses %j', (text, why) => {
    let error: unknown;
    try {
      parseTarget(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SshError);
    expect((error as SshError).kind).toBe('bad-target');
    expect((error as SshError).message).toContain(why);
  });
});

describe('targetLabel', () => {
  it('shows the port only when it is not 22, and brackets IPv6 before a port', () => {
    expect(targetLabel('root', 'web1', 22)).toBe('root@web1');
    expect(targetLabel('root', 'web1', 2222)).toBe('root@web1:2222');
    expect(targetLabel('root', '::1', 2222)).toBe('root@[::1]:2222');
    expect(targetLabel('root', '::1', 22)).toBe('root@::1');
  });
});
