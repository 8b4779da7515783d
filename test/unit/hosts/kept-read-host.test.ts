import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandResult, CommandSpec, Host } from '../../../src/hosts/host.js';
import { KeptReadHost, type KeptReadStore } from '../../../src/hosts/kept-read-host.js';
import { LazyServer } from '../../../src/nginx/lazy-server.js';
import type { ServerDigest } from '../../../src/nginx/server-digest.js';
import { configFromRead, type ReadManifest } from '../../../src/nginx/read-check.js';
import type { KeptRead } from '../../../src/system/config-read-cache.js';
import { parseConfigRead } from '../../../src/system/config-read.js';
import { NGINX_PROBE, probeSection } from '../../../src/system/nginx-probe.js';

// Real output of the reader (test/fixtures/config-read/README.md).
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/config-read/${name}`, import.meta.url), 'utf8');
const KEPT: KeptRead = { v: 1, reader: 'r1', key: '23958\nnginx', names: '/tmp/h17t/cfg/nginx.conf\n\n/tmp/h17t/cfg/nginx.conf\n', out: fixture('read.stdout'), err: fixture('read.stderr') };

/** A store in memory: the read it was given, and the digests saved for it. */
function memoryStore(read: KeptRead): KeptReadStore & { digests: Map<string, ServerDigest> } {
  const digests = new Map<string, ServerDigest>();
  return {
    reader: 'r1',
    digests,
    load: () => read,
    save: () => {},
    loadDigest: (kept) => (kept.id ? (digests.get(kept.id) ?? null) : null),
    saveDigest: (kept, digest) => {
      if (kept.id) digests.set(kept.id, digest);
    },
  };
}

/** nginx's box answering the cached probe: the kept read stands, or (stands = false) it read again. */
function box(stands: boolean): Host & { asked: CommandSpec[] } {
  const asked: CommandSpec[] = [];
  return {
    label: 'stub',
    asked,
    async run(command: CommandSpec): Promise<CommandResult> {
      asked.push(command);
      const read = stands ? { out: '', err: '' } : { out: KEPT.out, err: KEPT.err };
      const stdout = [probeSection('key', KEPT.key), probeSection('kept', stands ? 'kept' : ''), probeSection('out', read.out), probeSection('err', read.err), probeSection('code', '0')].join('');
      return { argv: command.argv, stdout, stderr: '', code: 0, ms: 1 };
    },
    async close() {},
  };
}

const manifest = (): ReadManifest => {
  const read = parseConfigRead({ argv: [], stdout: '', stderr: `${KEPT.err} `.slice(0, -1), code: 0, ms: 0 });
  if (read.kind !== 'read') throw new Error('not read');
  return read;
};

describe('KeptReadHost: the kept read parsed while the box checks it', () => {
  it('a kept read that stands is parsed once, and the config check takes that parse', async () => {
    const store = memoryStore(KEPT);
    const inner = box(true);
    const host = KeptReadHost.prepare(store).wrap(inner);
    await host.run(NGINX_PROBE);
    expect(host.hit).toBe(true);
    expect(inner.asked).toHaveLength(1);
    const found = configFromRead(`${KEPT.out} `.slice(0, -1), manifest());
    expect('config' in found).toBe(true);
    expect(configFromRead(KEPT.out, manifest())).toBe(found);
  });

  it('a kept read that no longer stands keeps no parse of it: the fresh read is judged when asked', async () => {
    // The same sizes, another text: framed as the reader frames it, so it is parsed ahead.
    const kept = { ...KEPT, out: KEPT.out.replace('worker_processes', 'Worker_processes') };
    const store = memoryStore(kept);
    const host = KeptReadHost.prepare(store).wrap(box(false));
    await host.run(NGINX_PROBE);
    expect(host.hit).toBe(false);
    // The stale text was parsed for nothing and not kept: each call judges it afresh.
    expect(configFromRead(kept.out, manifest())).not.toBe(configFromRead(kept.out, manifest()));
  });

  it('a run keeps a digest of the config it parsed, and the next run makes the vhosts from it while the box checks', async () => {
    const read = { ...KEPT, id: 'read-1' };
    const store = memoryStore(read);
    const first = KeptReadHost.prepare(store).wrap(box(true));
    await first.run(NGINX_PROBE);
    const parsed = configFromRead(read.out, manifest());
    await first.close();
    const digest = store.digests.get('read-1');
    expect(digest).toBeDefined();
    const second = KeptReadHost.prepare(store).wrap(box(true));
    await second.run(NGINX_PROBE);
    const found = configFromRead(`${read.out} `.slice(0, -1), manifest());
    if (!('config' in found) || !('config' in parsed)) throw new Error('no config');
    expect(found.config).not.toBe(parsed.config);
    const sites = found.config.files.flatMap((f) => f.parsed).filter((d) => d instanceof LazyServer);
    expect(sites.length).toBeGreaterThan(0);
    expect(JSON.stringify(found.config)).toBe(JSON.stringify(parsed.config));
    // It stood and was used: nothing new is kept.
    await second.close();
    expect(store.digests.get('read-1')).toBe(digest);
  });
});
