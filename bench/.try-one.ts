import { startSshd } from '../test/integration/lab/sshd.js';
import { SCENARIOS } from './causes.js';
import { BenchLab, clientHome } from './lab.js';
import { CLI, reportOf, timed } from './measure.js';
import { startRelay } from './relay.js';
const lab = new BenchLab();
try {
  const sshd = await startSshd(); lab.later(() => sshd.remove(), () => sshd.stop());
  const client = clientHome(lab); sshd.authorize('root', client.key.publicKey);
  const relay = await startRelay('127.0.0.1', sshd.port); lab.later(() => relay.close());
  const url = await (SCENARIOS.find(s => s.cause === process.argv[2])!).setup(lab);
  for (const d of [0, 0, 50]) {
    relay.setDelay(d);
    const run = await timed([process.execPath, CLI, '--json', '--ssh', `root@127.0.0.1:${relay.port}`, '--accept-new-host-key', '--url', url, ...process.argv.slice(3)], { env: client.env });
    const r = reportOf(run);
    console.log(d, Math.round(run.ms), r.diagnosis.cause, r.fix?.verified, r.steps.map((s: any) => `${s.node}:${s.ms}`).join(' '));
    if (process.argv[3]) console.log(run.stderr.slice(0, 3000));
  }
} finally { await lab.cleanup(); }
