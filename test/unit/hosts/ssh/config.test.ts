import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHost, type LocalContext } from '../../../../src/hosts/ssh/config.js';
import { SshError } from '../../../../src/hosts/ssh/errors.js';
import { parseTarget } from '../../../../src/hosts/ssh/target.js';

const local: LocalContext = { home: '/home/ann', user: 'ann', uid: 1000, hostname: 'laptop.corp.example', env: { KEYS: '/srv/keys' } };

function resolve(target: string, user: string, system?: string) {
  return resolveHost(parseTarget(target), { user, ...(system !== undefined ? { system } : {}) }, local);
}

function configError(run: () => unknown): SshError {
  try {
    run();
  } catch (error) {
    if (error instanceof SshError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('resolveHost: ~/.ssh/config through ssh-config', () => {
  it('no config: the target as typed, the local user, port 22, the default keys and known_hosts', () => {
    const host = resolve('web1', '');
    expect(host).toMatchObject({ label: 'ann@web1', hostName: 'web1', user: 'ann', port: 22, jumps: [], hashKnownHosts: false, identitiesOnly: false, compression: false });
    expect(host.identityFiles).toEqual(['/home/ann/.ssh/id_ed25519', '/home/ann/.ssh/id_ecdsa', '/home/ann/.ssh/id_rsa']);
    expect(host.knownHostsFiles).toEqual(['/home/ann/.ssh/known_hosts', '/home/ann/.ssh/known_hosts2']);
  });

  it('HostName, User, Port, IdentityFile from the matching Host block; the first value wins', () => {
    const config = `
Host web1
    HostName 10.0.0.5
    User deploy
    Port 2222
    IdentityFile ~/.ssh/deploy_key
Host web*
    User other
    IdentityFile ~/.ssh/fallback
Host *
    Port 22
`;
    const host = resolve('web1', config);
    expect(host).toMatchObject({ label: 'deploy@web1', hostName: '10.0.0.5', user: 'deploy', port: 2222 });
    // IdentityFile accumulates over every matching block, as in ssh; the defaults are then not added.
    expect(host.identityFiles).toEqual(['/home/ann/.ssh/deploy_key', '/home/ann/.ssh/fallback']);
  });

  it('user@ and :port on the command line win over the config', () => {
    const host = resolve('root@web1:2200', 'Host web1\n  User deploy\n  Port 2222\n');
    expect(host).toMatchObject({ user: 'root', port: 2200, label: 'root@web1:2200' });
  });

  it('expands ~, %h %u %p %r %d %i %l %L %n %k %C %% and ${ENV} in IdentityFile', () => {
    const config = `
Host db
    HostName db.internal
    User pg
    Port 2022
    HostKeyAlias db-alias
    IdentityFile ~/.ssh/%r@%h:%p
    IdentityFile %d/keys/%u-%i
    IdentityFile /k/%l/%L/%n/%k/100%%
    IdentityFile \${KEYS}/%C
`;
    const host = resolve('db', config);
    const c = createHash('sha1').update('laptop.corp.exampledb.internal2022pg').digest('hex');
    expect(host.identityFiles).toEqual(['/home/ann/.ssh/pg@db.internal:2022', '/home/ann/keys/ann-1000', '/k/laptop.corp.example/laptop/db/db-alias/100%', `/srv/keys/${c}`]);
    expect(host.hostKeyAlias).toBe('db-alias');
  });

  it('HostName accepts %h (the name as typed)', () => {
    expect(resolve('web7', 'Host web*\n  HostName %h.corp.example\n').hostName).toBe('web7.corp.example');
  });

  it('an unknown token or a missing ${ENV} is a config error naming the keyword', () => {
    expect(configError(() => resolve('x', 'Host x\n  IdentityFile ~/.ssh/%z\n')).message).toContain('IdentityFile "~/.ssh/%z"');
    const missing = configError(() => resolve('x', 'Host x\n  IdentityFile ${NOPE}/k\n'));
    expect(missing.kind).toBe('config');
    expect(missing.message).toContain('NOPE is not set');
  });

  it('ProxyJump with several hops: each hop gets its own config; the first hop its own ProxyJump too', () => {
    const config = `
Host app
    HostName 10.1.0.7
    User deploy
    ProxyJump bastion,ops@inner:2200
Host bastion
    HostName bastion.example.com
    User jump
    IdentityFile ~/.ssh/bastion_key
    ProxyJump gate
Host inner
    HostName 10.1.0.2
    ProxyJump should-be-ignored
Host gate
    HostName 198.51.100.1
    Port 2022
`;
    const host = resolve('app', config);
    expect(host.jumps.map((j) => [j.label, j.hostName, j.port, j.user])).toEqual([
      ['ann@gate', '198.51.100.1', 2022, 'ann'],
      ['jump@bastion', 'bastion.example.com', 22, 'jump'],
      ['ops@inner:2200', '10.1.0.2', 2200, 'ops'],
    ]);
    expect(host.jumps[1]?.identityFiles).toEqual(['/home/ann/.ssh/bastion_key']);
    expect(host.jumps.every((j) => j.jumps.length === 0)).toBe(true);
    expect(host).toMatchObject({ label: 'deploy@app', hostName: '10.1.0.7' });
  });

  it('ProxyJump none, ssh:// hops and tokens in ProxyJump', () => {
    expect(resolve('a', 'Host a\n  ProxyJump none\nHost *\n  ProxyJump b\n').jumps).toEqual([]);
    const host = resolve('a', 'Host a\n  ProxyJump ssh://ops@gw-%h:2022\n');
    expect(host.jumps.map((j) => j.label)).toEqual(['ops@gw-a:2022']);
  });

  it('a ProxyJump loop is a config error, not an endless walk', () => {
    const error = configError(() => resolve('a', 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n'));
    expect(error.kind).toBe('config');
    expect(error.message).toContain('longer than 8 hops');
  });

  it('a hop that is not a target is a config error', () => {
    expect(configError(() => resolve('a', 'Host a\n  ProxyJump bad:port\n')).message).toContain('ProxyJump "bad:port"');
  });

  it('ProxyCommand is refused with a way out', () => {
    const error = configError(() => resolve('a', 'Host a\n  ProxyCommand nc %h %p\n'));
    expect(error.kind).toBe('config');
    expect(error.message).toContain('Use ProxyJump');
    expect(resolve('a', 'Host a\n  ProxyCommand none\n').jumps).toEqual([]);
  });

  it('Match exec is never run (and said so); other Match criteria still apply', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-matchexec-'));
    const witness = join(dir, 'ran');
    try {
      const config = `
Match exec "touch ${witness}"
    User hijacked
Match host web1
    Port 2201
Match user deploy
    IdentityFile ~/.ssh/deploy_key
`;
      const host = resolve('deploy@web1', config);
      expect(existsSync(witness)).toBe(false);
      expect(host.user).toBe('deploy');
      expect(host.port).toBe(2201);
      expect(host.identityFiles).toEqual(['/home/ann/.ssh/deploy_key']);
      expect(host.notes).toContain('Match exec blocks are never run, so their settings are not applied');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CanonicalizeHostName is dropped (the package would run nslookup) and noted; Include is noted', () => {
    const host = resolve('web1', 'Include ~/.ssh/conf.d/*\nHost *\n  CanonicalizeHostName yes\n  CanonicalDomains example.com\n');
    expect(host.hostName).toBe('web1');
    expect(host.notes).toEqual(
      expect.arrayContaining(['CanonicalizeHostName is not applied: host names are used as written', 'Include lines are not followed: settings in included files are not applied']),
    );
  });

  it('the system file is read after the user file and cannot join its last block', () => {
    const system = 'Include /etc/ssh/ssh_config.d/*.conf\nHost *\n    SendEnv LANG LC_*\n    HashKnownHosts yes\n';
    const host = resolve('web1', 'Host other\n  User nobody\n', system);
    expect(host.hashKnownHosts).toBe(true);
    expect(host.user).toBe('ann');
    // Debian's own Include line is not worth a note.
    expect(host.notes).toEqual([]);
    expect(resolve('web1', 'HashKnownHosts no\n', system).hashKnownHosts).toBe(false);
  });

  it('Compression, per host: a jump host keeps its own', () => {
    const config = 'Host far\n  Compression yes\n  ProxyJump near\nHost near\n  Compression no\n';
    const host = resolve('far', config);
    expect(host.compression).toBe(true);
    expect(host.jumps.map((j) => j.compression)).toEqual([false]);
    expect(resolve('other', config).compression).toBe(false);
  });

  it('UserKnownHostsFile, IdentitiesOnly, IdentityAgent, ConnectTimeout', () => {
    const host = resolve('a', 'Host a\n  UserKnownHostsFile ~/.ssh/kh_%h /etc/kh\n  IdentitiesOnly yes\n  IdentityAgent ~/.agent.sock\n  ConnectTimeout 5\n');
    expect(host).toMatchObject({ knownHostsFiles: ['/home/ann/.ssh/kh_a', '/etc/kh'], identitiesOnly: true, identityAgent: '/home/ann/.agent.sock', connectTimeoutMs: 5000 });
    expect(resolve('a', 'Host a\n  UserKnownHostsFile none\n  IdentityAgent none\n')).toMatchObject({ knownHostsFiles: [], identityAgent: 'none' });
    expect(resolve('a', 'Host a\n  IdentityAgent SSH_AUTH_SOCK\n').identityAgent).toBeUndefined();
  });

  it('a Port that is not a number is a config error', () => {
    expect(configError(() => resolve('a', 'Host a\n  Port twenty\n')).message).toContain('Port "twenty"');
  });
});
