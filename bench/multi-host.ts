import { freePort } from '../test/integration/lab/ports.js';
import { startSshd } from '../test/integration/lab/sshd.js';
import { BenchLab, clientHome, type ClientHome } from './lab.js';
import { cli, median, reportOf, timed } from './measure.js';
import { startRelay, type Relay } from './relay.js';

/**
 * One session with only the proxy against one with the proxy and 7 backend roles, each its own real
 * sshd on loopback behind its own relay; time to a finished --json diagnosis of the same broken site.
 * Measured with no added delay and with the relays adding delayMs each way (where connecting to the
 * hosts one after another would show most).
 *
 * Eight boxes have eight root homes, so each sshd gives root a home of its own (sshd's SetEnv HOME).
 * The same eight sshds sharing this machine's root home are measured once more, for reference: there
 * every login runs the one ~/.bashrc, and whatever it does (here pyenv, whose rehash lock lets one login
 * through at a time) is paid eight times over on two CPUs.
 */
export interface HostCount {
  delayMs: number;
  /** 'own': a root home per sshd (eight boxes); 'shared': all sshds log root in to this machine's home. */
  homes: 'own' | 'shared';
  oneMs: number;
  eightMs: number;
  ratio: number;
}

export type MultiHostResult = { runs: HostCount[]; cause: string } | { skipped: string };

const ROLES = ['proxy', 'app', 'api', 'auth', 'search', 'media', 'billing', 'admin'];

/** One sshd per role, each behind a relay; with ownHomes, each logs root in to an empty home of its own. */
async function fleet(lab: BenchLab, client: ClientHome, ownHomes: boolean): Promise<Relay[]> {
  const relays: Relay[] = [];
  for (let i = 0; i < ROLES.length; i++) {
    const sshd = await startSshd(ownHomes ? { config: `SetEnv HOME=${lab.scratchDir('bgw-bench-home-')}` } : {});
    lab.later(
      () => sshd.remove(),
      () => sshd.stop(),
    );
    sshd.authorize('root', client.key.publicKey);
    const relay = await startRelay('127.0.0.1', sshd.port);
    lab.later(() => relay.close());
    relays.push(relay);
  }
  return relays;
}

export async function multiHost(options: { delayMs: number; reps: number; log?: (line: string) => void }): Promise<MultiHostResult> {
  const log = options.log ?? (() => {});
  const lab = new BenchLab();
  try {
    const client = clientHome(lab);
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
    const url = `http://127.0.0.1:${site.port}/`;
    const run = async (relays: Relay[], count: number) => {
      const hostArgs = relays.slice(0, count).flatMap((r, i) => ['--host', `${ROLES[i]}=root@127.0.0.1:${r.port}`]);
      const done = await timed([process.execPath, cli(), '--json', '--accept-new-host-key', '--url', url, ...hostArgs], { env: client.env, timeoutMs: 120_000 });
      const report = reportOf(done);
      if (report.error) throw new Error(`with ${count} hosts: ${report.error}`);
      if ((report.hosts ?? []).length !== count) throw new Error(`with ${count} hosts the report lists ${(report.hosts ?? []).length}`);
      return { ms: done.ms, cause: report.diagnosis?.cause as string };
    };
    const measure = async (relays: Relay[], homes: HostCount['homes'], delayMs: number): Promise<HostCount> => {
      for (const r of relays) r.setDelay(delayMs);
      const one: number[] = [];
      const eight: number[] = [];
      for (let i = 0; i < options.reps; i++) {
        one.push((await run(relays, 1)).ms);
        eight.push((await run(relays, ROLES.length)).ms);
      }
      const [oneMs, eightMs] = [median(one), median(eight)];
      log(`  ${homes} homes, +${delayMs} ms each way: 1 host ${Math.round(oneMs)} ms, 8 hosts ${Math.round(eightMs)} ms`);
      return { delayMs, homes, oneMs, eightMs, ratio: eightMs / oneMs };
    };
    const own = await fleet(lab, client, true);
    const shared = await fleet(lab, client, false);
    // First contact saves every host key; no measured run pays for that.
    const { cause } = await run(own, ROLES.length);
    await run(shared, ROLES.length);
    const runs: HostCount[] = [];
    for (const delayMs of [0, options.delayMs]) runs.push(await measure(own, 'own', delayMs));
    runs.push(await measure(shared, 'shared', 0));
    return { runs, cause };
  } catch (error) {
    return { skipped: `failed: ${(error as Error).message.split('\n')[0]}` };
  } finally {
    await lab.cleanup();
  }
}
