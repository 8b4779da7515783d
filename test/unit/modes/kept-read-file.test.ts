import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keptReadFile, keptReadFolder, keptReadText } from '../../../src/modes/kept-read-file.js';
import type { KeptRead } from '../../../src/system/config-read-cache.js';

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-kept-unit-'));
  made.push(dir);
  return join(dir, 'state');
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const kept = (reader: string): KeptRead => ({
  v: 1,
  reader,
  key: '44\nnginx\n\n\n2293281',
  names: '/etc/nginx/nginx.conf\n/etc/nginx/sites-enabled\n\n/etc/nginx/nginx.conf\n/etc/nginx/sites-enabled\n',
  out: '# configuration file /etc/nginx/nginx.conf:\n',
  err: 'file\t1\t2\t/etc/nginx/nginx.conf\n',
});

describe('the file that keeps a config read between runs', () => {
  it('is written owner-only in a folder it creates, one per host, and read back', () => {
    const dir = folder();
    const store = keptReadFile('proxy local', dir);
    expect(store.load()).toBeNull();
    store.save(kept(store.reader));
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(keptReadFile('proxy local', dir).load()).toEqual(kept(store.reader));
    expect(keptReadFile('proxy ssh root@web1', dir).file).not.toBe(store.file);
  });

  it('keeps at most 32 hosts: writing one more removes the least recently written, and nothing else in the folder', () => {
    const dir = folder();
    const stores = Array.from({ length: 33 }, (_, i) => keptReadFile(`proxy ssh root@web${i}`, dir));
    stores.forEach((store, i) => {
      store.save(kept(store.reader));
      // Written one second apart, oldest first, whatever the clock's resolution.
      utimesSync(store.file, 1_000_000 + i, 1_000_000 + i);
    });
    writeFileSync(join(dir, 'journal.json'), '{}');
    stores[1]?.save(kept(stores[1].reader));
    const left = readdirSync(dir);
    expect(left.filter((name) => name.startsWith('config-read-'))).toHaveLength(32);
    expect(left).not.toContain(stores[0]?.file.split('/').pop());
    expect(left).toContain('journal.json');
  });

  it('is not trusted when cut short, from another reader, or naming a relative path', () => {
    const store = keptReadFile('proxy local', folder());
    store.save(kept(store.reader));
    const whole = readFileSync(store.file, 'utf8');
    writeFileSync(store.file, whole.slice(0, whole.length / 2));
    expect(store.load()).toBeNull();
    writeFileSync(store.file, keptReadText(kept('another-reader')));
    expect(store.load()).toBeNull();
    writeFileSync(store.file, keptReadText({ ...kept(store.reader), names: 'nginx.conf\n' }));
    expect(store.load()).toBeNull();
    writeFileSync(store.file, keptReadText({ ...kept(store.reader), names: '/etc/nginx/nginx.conf\n/etc/nginx/sites-enabled\n' }));
    expect(store.load()).toBeNull();
    // The lengths must cut the rest exactly; the older all-JSON file is not read.
    writeFileSync(store.file, `${keptReadText(kept(store.reader))}#`);
    expect(store.load()).toBeNull();
    writeFileSync(store.file, JSON.stringify(kept(store.reader)));
    expect(store.load()).toBeNull();
    writeFileSync(store.file, keptReadText(kept(store.reader)));
    expect(store.load()).toEqual(kept(store.reader));
  });

  it('reads back a read whose config is not all ASCII', () => {
    const store = keptReadFile('proxy local', folder());
    const read = { ...kept(store.reader), out: '# configuration file /etc/nginx/nginx.conf:\n# café ☕\n', err: 'file\t1\t2\t/etc/nginx/nginx.conf\n' };
    store.save(read);
    expect(store.load()).toEqual(read);
  });

  it('keeps a digest beside the read it was made of, for that read only, and removes it with the read', () => {
    const dir = folder();
    const store = keptReadFile('proxy local', dir);
    const read = { ...kept(store.reader), id: 'read-1' };
    store.save(read);
    const digest = { v: 2 as const, build: 'b1', strings: ['server', 'café'], numbers: Int32Array.from([1, -2, 0x7fffffff]) };
    store.saveDigest(read, digest);
    expect(keptReadFile('proxy local', dir).loadDigest(read)).toEqual(digest);
    expect(store.loadDigest({ ...read, id: 'read-2' })).toBeNull();
    expect(store.loadDigest(kept(store.reader))).toBeNull();
    // Cut short inside its numbers: not a digest.
    const digestFile = store.file.replace(/\.json$/, '.digest');
    writeFileSync(digestFile, readFileSync(digestFile).subarray(0, -1));
    expect(store.loadDigest(read)).toBeNull();
    // An earlier build's digest, kept as JSON beside the read, goes when a digest is written in its place.
    const oldDigest = store.file.replace(/\.json$/, '.digest.json');
    writeFileSync(oldDigest, '{"kept":"read-1"}');
    store.saveDigest(read, digest);
    expect(existsSync(oldDigest)).toBe(false);
    expect(store.loadDigest(read)).toEqual(digest);
    const others = Array.from({ length: 32 }, (_, i) => keptReadFile(`proxy ssh root@web${i}`, dir));
    for (const [i, other] of others.entries()) {
      utimesSync(store.file, 1_000_000, 1_000_000);
      other.save(kept(other.reader));
      utimesSync(other.file, 2_000_000 + i, 2_000_000 + i);
    }
    expect(readdirSync(dir).filter((name) => name.includes('.digest'))).toEqual([]);
  });

  it('lives in BADGATEWAY_STATE_DIR, else XDG_STATE_HOME, else ~/.local/state', () => {
    expect(keptReadFolder({ BADGATEWAY_STATE_DIR: '/srv/state' })).toBe('/srv/state');
    expect(keptReadFolder({ XDG_STATE_HOME: '/home/a/.state' })).toBe('/home/a/.state/badgateway');
    expect(keptReadFolder({ XDG_STATE_HOME: 'relative' })).toMatch(/\/\.local\/state\/badgateway$/);
  });
});
