import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keptReadFile, keptReadFolder } from '../../../src/modes/kept-read-file.js';
import type { KeptRead } from '../../../src/system/config-read-cache.js';

const folder = () => join(mkdtempSync(join(tmpdir(), 'bgw-kept-unit-')), 'state');
const kept = (reader: string): KeptRead => ({
  v: 1,
  reader,
  key: '44\nnginx\n\n\n2293281',
  names: '/etc/nginx/nginx.conf\n/etc/nginx/sites-enabled\n',
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
    writeFileSync(store.file, JSON.stringify(kept('another-reader')));
    expect(store.load()).toBeNull();
    writeFileSync(store.file, JSON.stringify({ ...kept(store.reader), names: 'nginx.conf\n' }));
    expect(store.load()).toBeNull();
    writeFileSync(store.file, JSON.stringify({ ...kept(store.reader), out: 7 }));
    expect(store.load()).toBeNull();
  });

  it('lives in BADGATEWAY_STATE_DIR, else XDG_STATE_HOME, else ~/.local/state', () => {
    expect(keptReadFolder({ BADGATEWAY_STATE_DIR: '/srv/state' })).toBe('/srv/state');
    expect(keptReadFolder({ XDG_STATE_HOME: '/home/a/.state' })).toBe('/home/a/.state/badgateway');
    expect(keptReadFolder({ XDG_STATE_HOME: 'relative' })).toMatch(/\/\.local\/state\/badgateway$/);
  });
});
