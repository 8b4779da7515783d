import { startSshd, type Sshd } from '../test/integration/lab/sshd.js';
import { causeId, SCENARIOS, type CauseScenario } from './causes.js';
import { BenchLab, clientHome, type ClientHome } from './lab.js';
import { cli, median, reportOf, timed, type Timed } from './measure.js';
import { startRelay, type Relay } from './relay.js';

/**
 * Sequential round trips, measured from outside: the same run through a relay that adds D ms each way
 * and through one that adds none. Every round trip costs 2D more, so rounds = (T_D - T_0) / 2D.
 */
export interface Rounds {
  t0: number;
  tD: number;
  rounds: number;
  /** The lowest and highest rounds of one pair of runs (T_D - T_0 of the same repetition): how noisy it was. */
  spread: [number, number];
}

export interface CauseRounds extends Rounds {
  label: string;
  /** The cause the diagnosis ended on (null when it failed). */
  got: string | null;
  expected: string;
  /** Rounds of each step (from steps[].ms with and without the delay), in path order. */
  steps: { node: string; rounds: number }[];
  error: string | null;
}

export interface RoundTripResult {
  delayMs: number;
  reps: number;
  baseline: Rounds;
  causes: CauseRounds[];
  /** --apply --yes on wrong-port: the rounds it adds to the diagnosis (apply, reload, verify). */
  verify: (Rounds & { extra: number; verified: boolean; phases: { phase: string; rounds: number }[] }) | { skipped: string };
}

const roundsOf = (t0: number[], tD: number[], delayMs: number): Rounds => {
  const [m0, mD] = [median(t0), median(tD)];
  const paired = tD.map((d, i) => (d - (t0[i] as number)) / (2 * delayMs));
  return { t0: m0, tD: mD, rounds: (mD - m0) / (2 * delayMs), spread: [Math.min(...paired), Math.max(...paired)] };
};

interface Setup {
  sshd: Sshd;
  relay: Relay;
  client: ClientHome;
}

function badgateway(setup: Setup, url: string, extra: string[] = []): Promise<Timed> {
  const argv = [process.execPath, cli(), '--json', '--ssh', `root@127.0.0.1:${setup.relay.port}`, '--accept-new-host-key', '--url', url, ...extra];
  return timed(argv, { env: setup.client.env, timeoutMs: 90_000 });
}

function sshTrue(setup: Setup): Promise<Timed> {
  const { client, relay } = setup;
  const argv = [
    'ssh',
    '-p',
    String(relay.port),
    '-i',
    client.key.path,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${client.home}/ssh-true-known-hosts`,
    'root@127.0.0.1',
    'true',
  ];
  return timed(argv, { env: client.env, timeoutMs: 30_000 });
}

/** Runs `run` reps times at delay 0 and at delayMs, interleaved, and returns both lists of runs. */
async function interleaved(relay: Relay, delayMs: number, reps: number, run: () => Promise<Timed>): Promise<{ zero: Timed[]; delayed: Timed[] }> {
  const zero: Timed[] = [];
  const delayed: Timed[] = [];
  for (let i = 0; i < reps; i++) {
    relay.setDelay(0);
    zero.push(await run());
    relay.setDelay(delayMs);
    delayed.push(await run());
  }
  relay.setDelay(0);
  return { zero, delayed };
}

/** Per step: median ms with the delay minus without, over 2D; steps matched by position on the same path. */
function stepRounds(zero: any[], delayed: any[], delayMs: number): { node: string; rounds: number }[] {
  const path = (delayed[0]?.steps ?? []) as { node: string }[];
  return path.map((step, i) => {
    const ms = (reports: any[]) => median(reports.map((r) => r.steps?.[i]?.ms).filter((x: unknown): x is number => typeof x === 'number'));
    return { node: step.node, rounds: (ms(delayed) - ms(zero)) / (2 * delayMs) };
  });
}

async function measureCause(setup: Setup, scenario: CauseScenario, delayMs: number, reps: number): Promise<CauseRounds> {
  const lab = new BenchLab();
  const expected = causeId(scenario);
  try {
    const url = await scenario.setup(lab);
    const runs = await interleaved(setup.relay, delayMs, reps, () => badgateway(setup, url));
    const zero = runs.zero.map(reportOf);
    const delayed = runs.delayed.map(reportOf);
    const causes = [...new Set([...zero, ...delayed].map((r) => r.diagnosis?.cause ?? r.error))];
    return {
      label: scenario.cause,
      expected,
      got: causes.join(' / '),
      ...roundsOf(
        runs.zero.map((r) => r.ms),
        runs.delayed.map((r) => r.ms),
        delayMs,
      ),
      steps: stepRounds(zero, delayed, delayMs),
      error: causes.length === 1 && causes[0] === expected ? null : `expected ${expected}, got ${causes.join(' / ')}`,
    };
  } catch (error) {
    return { label: scenario.cause, expected, got: null, t0: NaN, tD: NaN, rounds: NaN, spread: [NaN, NaN], steps: [], error: (error as Error).message.slice(0, 600) };
  } finally {
    await lab.cleanup();
  }
}

/**
 * How long each apply phase took, from badgateway's progress lines on stderr
 * ("badgateway: apply PHASE > ..." starts a phase; the next start, or the exit, ends it).
 */
function applyPhases(run: Timed): Map<string, number> {
  const starts = run.stderrLines.flatMap(({ at, line }) => {
    const m = /^badgateway: apply (\S+) >/.exec(line);
    return m ? [{ phase: m[1] as string, at }] : [];
  });
  const phases = new Map<string, number>();
  starts.forEach((s, i) => phases.set(s.phase, (starts[i + 1]?.at ?? run.ms) - s.at));
  return phases;
}

/** wrong-port with --apply --yes: each run on a freshly broken site, since applying repairs it. */
async function measureVerify(setup: Setup, delayMs: number, reps: number, diagnosed: CauseRounds | undefined): Promise<RoundTripResult['verify']> {
  const scenario = SCENARIOS.find((s) => s.cause === 'wrong-port') as CauseScenario;
  const once = async (): Promise<{ run: Timed; verified: boolean }> => {
    const lab = new BenchLab();
    try {
      const run = await badgateway(setup, await scenario.setup(lab), ['--apply', '--yes']);
      const report = reportOf(run);
      return { run, verified: report.fix?.verified === true };
    } finally {
      await lab.cleanup();
    }
  };
  try {
    const zero: { run: Timed; verified: boolean }[] = [];
    const delayed: { run: Timed; verified: boolean }[] = [];
    for (let i = 0; i < reps; i++) {
      setup.relay.setDelay(0);
      zero.push(await once());
      setup.relay.setDelay(delayMs);
      delayed.push(await once());
    }
    setup.relay.setDelay(0);
    const rounds = roundsOf(
      zero.map((z) => z.run.ms),
      delayed.map((d) => d.run.ms),
      delayMs,
    );
    const phasesAt = (runs: { run: Timed }[]) => runs.map((r) => applyPhases(r.run));
    const [p0, pD] = [phasesAt(zero), phasesAt(delayed)];
    const names = [...(pD[0]?.keys() ?? [])];
    const phaseMs = (all: Map<string, number>[], name: string) => median(all.map((p) => p.get(name)).filter((x): x is number => x !== undefined));
    const phases = names.map((phase) => ({ phase, rounds: (phaseMs(pD, phase) - phaseMs(p0, phase)) / (2 * delayMs) }));
    return { ...rounds, extra: rounds.rounds - (diagnosed?.rounds ?? NaN), verified: [...zero, ...delayed].every((x) => x.verified), phases };
  } catch (error) {
    return { skipped: `--apply --yes failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

export async function roundTrips(options: { delayMs: number; reps: number; scenarios?: CauseScenario[]; log?: (line: string) => void }): Promise<RoundTripResult> {
  const { delayMs, reps } = options;
  const log = options.log ?? (() => {});
  const lab = new BenchLab();
  try {
    // Root gets a home of its own, as on a real box: this machine's ~/.bashrc (pyenv's rehash lock) would
    // let one login at a time through, and a session logs in twice at once (its shell and the look-ahead's).
    const sshd = await startSshd({ config: `SetEnv HOME=${lab.scratchDir('bgw-bench-home-')}` });
    lab.later(
      () => sshd.remove(),
      () => sshd.stop(),
    );
    const client = clientHome(lab);
    sshd.authorize('root', client.key.publicKey);
    const relay = await startRelay('127.0.0.1', sshd.port);
    lab.later(() => relay.close());
    const setup = { sshd, relay, client };

    // First contact saves the host key (both clients), so no measured run differs by that.
    await sshTrue(setup);
    const baselineRuns = await interleaved(relay, delayMs, Math.max(reps, 5), () => sshTrue(setup));
    const failed = [...baselineRuns.zero, ...baselineRuns.delayed].find((r) => r.code !== 0);
    if (failed) throw new Error(`ssh true failed (exit ${failed.code}): ${failed.stderr.trim()}`);
    const baseline = roundsOf(
      baselineRuns.zero.map((r) => r.ms),
      baselineRuns.delayed.map((r) => r.ms),
      delayMs,
    );
    log(`  ssh true: ${baseline.rounds.toFixed(1)} rounds`);
    // badgateway's first contact saves the host key; no measured run pays for that.
    const warm = new BenchLab();
    try {
      reportOf(await badgateway(setup, await (SCENARIOS[0] as CauseScenario).setup(warm)));
    } finally {
      await warm.cleanup();
    }

    const causes: CauseRounds[] = [];
    for (const scenario of options.scenarios ?? SCENARIOS) {
      const measured = await measureCause(setup, scenario, delayMs, reps);
      log(`  ${scenario.cause}: ${measured.rounds.toFixed(1)} rounds${measured.error ? ` (${measured.error})` : ''}`);
      causes.push(measured);
    }
    const verify = await measureVerify(
      setup,
      delayMs,
      reps,
      causes.find((c) => c.label === 'wrong-port'),
    );
    return { delayMs, reps, baseline, causes, verify };
  } finally {
    await lab.cleanup();
  }
}
