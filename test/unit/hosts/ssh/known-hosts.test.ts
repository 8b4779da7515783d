import { describe, expect, it } from 'vitest';
import { fingerprint, hashedName, keyType, keyTypeName, knownHostsName } from '../../../../src/hosts/ssh/host-key.js';
import { matchPatternList } from '../../../../src/hosts/ssh/host-pattern.js';
import { checkHostKey, entryMatches, knownHostsLine, knownKeyTypes, parseKnownHosts } from '../../../../src/hosts/ssh/known-hosts.js';
import { fixture, keyBlob, PORTS } from './fixture.js';

const scanA = fixture('keyscan-a.txt');
const scanB = fixture('keyscan-b.txt');
const nameA = `[127.0.0.1]:${PORTS.a}`;
const ed25519A = keyBlob(scanA, 'ssh-ed25519');
const ecdsaA = keyBlob(scanA, 'ecdsa-sha2-nistp256');
const rsaA = keyBlob(scanA, 'ssh-rsa');
const ed25519B = keyBlob(scanB, 'ssh-ed25519');
const ecdsaB = keyBlob(scanB, 'ecdsa-sha2-nistp256');

describe('host keys: type, fingerprint, name', () => {
  it('fingerprints match ssh-keygen -l for every key type', () => {
    const printed = fixture('keyscan-a.fingerprints.txt') + fixture('keyscan-b.fingerprints.txt');
    for (const [scan, blob] of [
      [scanA, ed25519A],
      [scanA, ecdsaA],
      [scanA, rsaA],
      [scanB, ed25519B],
      [scanB, ecdsaB],
    ] as const) {
      const type = keyType(blob);
      expect(scan).toContain(type);
      expect(printed).toContain(`${fingerprint(blob)} `);
      expect(printed).toMatch(new RegExp(`${fingerprint(blob).replace(/[+/]/g, '\\$&')} \\S+ \\(${keyTypeName(type)}\\)`));
    }
  });

  it('names hosts as ssh does: bare for port 22, [host]:port otherwise, lowercase', () => {
    expect(knownHostsName('Web1.Example.com', 22)).toBe('web1.example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(knownHostsName('::1', 2222)).toBe('[::1]:2222');
  });
});

describe('parseKnownHosts', () => {
  it('reads ssh-keyscan lines', () => {
    const { entries, notes } = parseKnownHosts(scanA, 'kh');
    expect(notes).toEqual([]);
    expect(entries.map((e) => [e.hosts, e.keyType, e.line])).toEqual([
      [nameA, 'ecdsa-sha2-nistp256', 1],
      [nameA, 'ssh-rsa', 2],
      [nameA, 'ssh-ed25519', 3],
    ]);
  });

  it('skips comments and blank lines, ignores @cert-authority with a note, keeps @revoked', () => {
    const text = `# a comment\n\n@cert-authority *.example.com ${scanB.split('\n')[0]?.split(' ').slice(1).join(' ')}\n@revoked * ${scanB.split('\n')[1]?.split(' ').slice(1).join(' ')}\nweb1 ssh-ed25519 AAAAnotakey\ngarbage\n`;
    const { entries, notes } = parseKnownHosts(text, '/home/ann/.ssh/known_hosts');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ marker: 'revoked', hosts: '*', line: 4 });
    expect(notes).toEqual([
      '/home/ann/.ssh/known_hosts:3: @cert-authority lines (host certificates) are not supported; the line was ignored',
      '/home/ann/.ssh/known_hosts:5: the ssh-ed25519 key does not decode; ignored',
      '/home/ann/.ssh/known_hosts:6: not a known_hosts line (host, key type and key expected); ignored',
    ]);
  });
});

describe('hashed names (|1|salt|hash) made by ssh-keygen -H', () => {
  const lookups = JSON.parse(fixture('lookups.json')) as Record<string, string>;

  it('finds exactly what ssh-keygen -F finds, for every name', () => {
    const files: Record<string, string> = { names: fixture('names.hashed.txt'), a: fixture('keyscan-a.hashed.txt') };
    for (const [name, found] of Object.entries(lookups)) {
      const text = name === nameA ? files.a! : files.names!;
      const matching = parseKnownHosts(text, 'f').entries.filter((e) => entryMatches(e, name));
      const expectedLines = [...found.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
      expect(
        matching.map((e) => e.line),
        name,
      ).toEqual(expectedLines);
    }
    expect(lookups['db.example.com']).toBe('exit 1\n');
  });

  it('a hashed file answers like the plain one it came from', () => {
    const plain = parseKnownHosts(fixture('names.txt'), 'p').entries;
    const hashed = parseKnownHosts(fixture('names.hashed.txt'), 'h').entries;
    for (const name of ['web1.example.com', '10.0.0.5', '[db.example.com]:2222', 'WEB1.example.com']) {
      expect(checkHostKey(hashed, name.toLowerCase(), ed25519A).status, name).toBe(checkHostKey(plain, name.toLowerCase(), ed25519A).status);
    }
    expect(checkHostKey(hashed, 'web1.example.com', ed25519A).status).toBe('known');
    expect(checkHostKey(hashed, '[db.example.com]:2222', ecdsaA).status).toBe('known');
    expect(checkHostKey(hashed, '[db.example.com]:2222', ecdsaB).status).toBe('changed');
  });

  it('hashedName with the salt of a real entry gives that entry back', () => {
    const line = fixture('names.hashed.txt').split('\n')[0] as string;
    const [, , salt] = line.split(' ')[0]!.split('|');
    expect(hashedName('web1.example.com', Buffer.from(salt!, 'base64'))).toBe(line.split(' ')[0]);
  });
});

describe('checkHostKey', () => {
  const plain = parseKnownHosts(scanA, 'kh').entries;

  it('known: the same key is filed for the name', () => {
    expect(checkHostKey(plain, nameA, ed25519A)).toMatchObject({ status: 'known', entry: { line: 3 } });
    expect(checkHostKey(plain, nameA, rsaA)).toMatchObject({ status: 'known', entry: { line: 2 } });
  });

  it("changed: another key of the same type is filed (server b answering on a's name)", () => {
    const check = checkHostKey(plain, nameA, ed25519B);
    expect(check.status).toBe('changed');
    if (check.status === 'changed') expect(check.previous.map((e) => fingerprint(e.key))).toEqual([fingerprint(ed25519A)]);
  });

  it('unknown: nothing for this name, or only other key types (listed)', () => {
    expect(checkHostKey(plain, '[127.0.0.1]:1', ed25519A)).toEqual({ status: 'unknown', otherTypes: [], others: [] });
    const onlyEcdsa = parseKnownHosts(scanA.split('\n')[0] as string, 'kh').entries;
    expect(checkHostKey(onlyEcdsa, nameA, ed25519A)).toMatchObject({ status: 'unknown', otherTypes: ['ecdsa-sha2-nistp256'], others: [{ keyType: 'ecdsa-sha2-nistp256' }] });
  });

  it('revoked: a @revoked line for the key wins even when the key is also listed', () => {
    const revoked = parseKnownHosts(`${scanA}@revoked * ${knownHostsLine('x', ed25519A).split(' ').slice(1).join(' ')}\n`, 'kh').entries;
    expect(checkHostKey(revoked, nameA, ed25519A)).toMatchObject({ status: 'revoked', entry: { line: 4, marker: 'revoked' } });
    // A @revoked line for other hosts does not apply here.
    const elsewhere = parseKnownHosts(`${scanA}@revoked other.example ${knownHostsLine('x', ed25519A).split(' ').slice(1).join(' ')}\n`, 'kh').entries;
    expect(checkHostKey(elsewhere, nameA, ed25519A).status).toBe('known');
  });

  it('plain names, comma lists, wildcards and ! negation', () => {
    const key = knownHostsLine('x', ed25519A).split(' ').slice(1).join(' ');
    const entries = parseKnownHosts(`web1,10.0.0.5 ${key}\n*.corp.example,!secret.corp.example ${key}\n[*.lab]:2222 ${key}\nweb? ${key}\n`, 'kh').entries;
    const status = (name: string) => checkHostKey(entries, name, ed25519A).status;
    expect(status('web1')).toBe('known');
    expect(status('10.0.0.5')).toBe('known');
    expect(status('app.corp.example')).toBe('known');
    expect(status('secret.corp.example')).toBe('unknown');
    expect(status('[box.lab]:2222')).toBe('known');
    expect(status('box.lab')).toBe('unknown');
    expect(status('web9')).toBe('known');
    expect(status('web10')).toBe('unknown');
  });

  it('knownKeyTypes lists the types filed for a name, for host key algorithm order', () => {
    expect(knownKeyTypes(plain, nameA)).toEqual(['ecdsa-sha2-nistp256', 'ssh-rsa', 'ssh-ed25519']);
    expect(knownKeyTypes(plain, 'other')).toEqual([]);
  });
});

describe('knownHostsLine', () => {
  it('writes what ssh-keyscan writes, or a hashed name ssh-keygen -F can find', () => {
    expect(knownHostsLine(nameA, ed25519A)).toBe(scanA.split('\n')[2]);
    const hashed = knownHostsLine('web1.example.com', ed25519A, Buffer.alloc(20, 7));
    expect(hashed).toMatch(/^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} ssh-ed25519 AAAA/);
    const [entry] = parseKnownHosts(hashed, 'kh').entries;
    expect(entryMatches(entry!, 'web1.example.com')).toBe(true);
    expect(entryMatches(entry!, 'web2.example.com')).toBe(false);
  });
});

describe('matchPatternList', () => {
  it('1 for a match, -1 when a negation matches, 0 otherwise; case-insensitive', () => {
    expect(matchPatternList('a,b', 'B')).toBe(1);
    expect(matchPatternList('*.x,!bad.x', 'bad.x')).toBe(-1);
    expect(matchPatternList('!bad.x', 'good.x')).toBe(0);
    expect(matchPatternList('h?st*', 'host-1')).toBe(1);
    expect(matchPatternList('h?st', 'hst')).toBe(0);
    expect(matchPatternList('*a*b*c', 'xxaxxbxxc')).toBe(1);
  });
});
