/**
 * `npm run bench`: builds, then measures the built cli() (dist/badgateway.js) on this machine, each figure
 * with a ratio to a baseline measured in the same run. Knobs (environment):
 *   BENCH_DELAY_MS  relay delay each way for the round-trip and multi-host parts (default 50)
 *   BENCH_REPS      repetitions per round-trip, log and host measurement (default 3)
 *   BENCH_FRAMES    runs of each side of the first-frame comparison (default 15)
 *   BENCH_ONLY      comma list of parts: frame,rounds,logs,hosts,lint,config,install (default all)
 *   BENCH_SITES     vhosts of the huge-config part (default 20000)
 *   BENCH_CAUSES    comma list of cause labels for the round-trip part (default all scenarios)
 *   BENCH_MARKDOWN  write the result tables as Markdown to this file too (for bench/README.md)
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { SCENARIOS } from './causes.js';
import { firstFrame, type FirstFrame } from './first-frame.js';
import { flowLint, type FlowLintResult } from './flow-lint.js';
import { hugeConfig, type HugeConfigResult } from './huge-config.js';
import { hugeLogs, type HugeLogResult } from './huge-logs.js';
import { installSize, type InstallSize } from './install-size.js';
import { fmtMs, fmtRatio, snapshotBuild } from './measure.js';
import { multiHost, type HostCount, type MultiHostResult } from './multi-host.js';
import { roundTrips, type RoundTripResult } from './round-trips.js';

// The relay listens on loopback inside this process: named "node", a diagnosis would take it for the box's
// only Node application server (backend.config); under its own name it is no application server.
process.title = 'bgw-bench';

const GOAL = { frameRatio: 2.6, rounds: 2, verifyRounds: 1, lintRatio: 6, configRatio: 2, installMb: 3 };

const env = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const delayMs = env('BENCH_DELAY_MS', 50);
const reps = env('BENCH_REPS', 3);
const frames = env('BENCH_FRAMES', 15);
const sites = env('BENCH_SITES', 20_000);
const only = new Set((process.env.BENCH_ONLY ?? 'frame,rounds,logs,hosts,lint,config,install').split(',').map((s) => s.trim()));
const causeFilter = process.env.BENCH_CAUSES ? new Set(process.env.BENCH_CAUSES.split(',').map((s) => s.trim())) : null;

const started = performance.now();
const say = (line = '') => console.log(line);
const md: string[] = [];
const mdTable = (head: string[], rows: string[][]) => {
  md.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
};
const mark = (ok: boolean) => (ok ? 'ok' : 'ABOVE GOAL');
const r1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const spread = ([low, high]: [number, number]) => (Number.isFinite(low) ? `(${r1(low)}-${r1(high)})` : '');

const stamp = new Date().toISOString().replace('T', ' ').slice(0, 16);
const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), node ${process.version}, load ${loadavg()[0]?.toFixed(1)} at start`;
say(`badgateway bench · ${stamp} UTC · ${machine}`);
md.push(`Run on ${stamp} UTC: ${machine}.`, '');

function printFrame(r: FirstFrame): void {
  say(`\n1. First frame (median of ${r.runs} interleaved runs each, in a pseudo-terminal, 80x24)`);
  say(`   wizard's first frame ("Why now:")  ${fmtMs(r.wizardMs)}`);
  say(`   bare node printing one line        ${fmtMs(r.bareMs)}   (baseline)`);
  say(`   ratio                              ${fmtRatio(r.ratio)}   goal <= ${GOAL.frameRatio}x: ${mark(r.ratio <= GOAL.frameRatio)}`);
  say(`   Ink's own first frame (drawn over it)  ${fmtMs(r.inkMs)}: ${fmtRatio(r.inkRatio)} of bare node (what loading the UI costs)`);
  md.push(`**First frame** (median of ${r.runs} interleaved runs each, pseudo-terminal 80x24; the first frame is drawn in plain text while Ink loads, then Ink draws its own over it):`, '');
  mdTable(
    ['wizard first frame', "Ink's own first frame", 'bare `node -e console.log(1)`', 'ratio (first frame)', 'goal'],
    [[fmtMs(r.wizardMs), `${fmtMs(r.inkMs)} (${fmtRatio(r.inkRatio)})`, fmtMs(r.bareMs), fmtRatio(r.ratio), `<= ${GOAL.frameRatio}x`]],
  );
}

function printRounds(r: RoundTripResult): void {
  const base = r.baseline.rounds;
  say(`\n2. Sequential round trips over SSH (relay on loopback: +${r.delayMs} ms each way; rounds = (T_${r.delayMs} - T_0) / ${2 * r.delayMs} ms; median of ${r.reps})`);
  say(`   baseline ssh -p RELAY root@127.0.0.1 true: T_0 ${fmtMs(r.baseline.t0)}, T_${r.delayMs} ${fmtMs(r.baseline.tD)}: ${r1(base)} rounds ${spread(r.baseline.spread)}`);
  say(
    `   ${'cause'.padEnd(34)}${'T_0'.padStart(9)}${`T_${r.delayMs}`.padStart(9)}${'rounds'.padStart(8)}${'(spread)'.padStart(12)}${'x ssh'.padStart(7)}${'beyond'.padStart(8)}  goal <= ${GOAL.rounds} beyond connecting`,
  );
  const rows: string[][] = [];
  for (const c of r.causes) {
    const beyond = c.rounds - base;
    const verdict = c.error ? `FAILED: ${c.error.split('\n')[0]}` : mark(beyond <= GOAL.rounds);
    say(
      `   ${c.label.padEnd(34)}${fmtMs(c.t0).padStart(9)}${fmtMs(c.tD).padStart(9)}${r1(c.rounds).padStart(8)}${spread(c.spread).padStart(12)}${fmtRatio(c.rounds / base).padStart(7)}${r1(beyond).padStart(8)}  ${verdict}`,
    );
    rows.push([c.label, fmtMs(c.t0), fmtMs(c.tD), `${r1(c.rounds)} ${spread(c.spread)}`, fmtRatio(c.rounds / base), r1(beyond), c.error ? 'failed' : mark(beyond <= GOAL.rounds)]);
  }
  md.push(`**Round trips over SSH** (relay +${r.delayMs} ms each way, median of ${r.reps}; baseline \`ssh true\`: ${r1(base)} rounds, T_0 ${fmtMs(r.baseline.t0)}):`, '');
  mdTable(['cause', 'T_0', `T_${r.delayMs}`, 'rounds (spread)', 'x ssh true', 'beyond connecting', `goal <= ${GOAL.rounds}`], rows);
  if ('skipped' in r.verify) {
    say(`   verify a fix (--apply --yes): skipped: ${r.verify.skipped}`);
    md.push(`Verify a fix (\`--apply --yes\`): skipped (${r.verify.skipped}).`, '');
  } else {
    const v = r.verify;
    const verifyPhase = v.phases.find((p) => p.phase === 'verify')?.rounds ?? NaN;
    const phases = v.phases.map((p) => `${p.phase} ${r1(p.rounds)}`).join(', ');
    say(
      `   fix (wrong-port, --apply --yes): T_0 ${fmtMs(v.t0)}, T_${r.delayMs} ${fmtMs(v.tD)}: ${r1(v.rounds)} rounds ${spread(v.spread)}, ${r1(v.extra)} more than the diagnosis alone${v.verified ? ', verified' : ' (NOT verified in every run)'}`,
    );
    say(`     apply phases (rounds, from the timing of its progress lines): ${phases}`);
    say(`     verifying (the "verify" phase): ${r1(verifyPhase)} rounds; goal ${GOAL.verifyRounds}: ${mark(verifyPhase <= GOAL.verifyRounds)}`);
    md.push(
      `**Applying and verifying a fix** (wrong-port, \`--apply --yes\`): ${r1(v.rounds)} rounds in all, ${r1(v.extra)} more than the diagnosis alone; the "verify" phase ${r1(verifyPhase)} (goal: ${GOAL.verifyRounds}). By phase: ${phases}.`,
      '',
    );
  }
  say(`   rounds by step with the delay on (steps[].ms at +${r.delayMs} minus at +0, over ${2 * r.delayMs} ms; steps under 0.5 left out):`);
  for (const c of r.causes) {
    const heavy = c.steps.filter((s) => s.rounds >= 0.5).map((s) => `${s.node} ${r1(s.rounds)}`);
    const inSteps = c.steps.reduce((sum, s) => sum + s.rounds, 0);
    if (c.steps.length) say(`     ${c.label}: ${heavy.join(', ') || 'none'}  (outside the steps: ${r1(c.rounds - inSteps)})`);
  }
}

function printLogs(r: HugeLogResult): void {
  say('\n3. Huge logs: badgateway --json --url on a real broken nginx (backend-down); max RSS by /usr/bin/time -f %M');
  if ('skipped' in r) {
    say(`   skipped: ${r.skipped}`);
    md.push(`**Huge logs**: skipped (${r.skipped}).`, '');
    return;
  }
  const row = (s: typeof r.small) => `   ${s.label.padEnd(8)} error log (${s.bytes} bytes): ${fmtMs(s.ms)}, max RSS ${(s.maxRssKb / 1024).toFixed(1)} MiB, cause ${s.cause}`;
  say(row(r.small) + '   (baseline)');
  say(row(r.huge));
  say(`   ratio 2 GiB / 1 MiB: time ${fmtRatio(r.timeRatio)}, memory ${fmtRatio(r.memoryRatio)}`);
  md.push('**Huge logs** (`--json --url`, local, backend-down; peak memory = max RSS of the node process by `/usr/bin/time -f %M`):', '');
  mdTable(
    ['error log', 'time', 'max RSS'],
    [
      ['1 MiB', fmtMs(r.small.ms), `${(r.small.maxRssKb / 1024).toFixed(1)} MiB`],
      ['2 GiB', fmtMs(r.huge.ms), `${(r.huge.maxRssKb / 1024).toFixed(1)} MiB`],
      ['ratio', fmtRatio(r.timeRatio), fmtRatio(r.memoryRatio)],
    ],
  );
}

function printHosts(r: MultiHostResult): void {
  say('\n4. Hosts: --host proxy=... alone vs with 7 backend roles (8 real sshds on loopback, each behind a relay)');
  if ('skipped' in r) {
    say(`   skipped: ${r.skipped}`);
    md.push(`**1 vs 8 hosts**: skipped (${r.skipped}).`, '');
    return;
  }
  const homes = (h: HostCount) => (h.homes === 'own' ? 'a root home per box' : "all sharing this machine's root home");
  for (const h of r.runs) say(`   ${homes(h)}, +${String(h.delayMs).padEnd(3)} ms each way: 1 host ${fmtMs(h.oneMs)} (baseline), 8 hosts ${fmtMs(h.eightMs)}: ratio ${fmtRatio(h.ratio)}`);
  md.push(`**1 vs 8 hosts** (time to a finished \`--json\` diagnosis, ${r.cause}; median of ${reps}):`, '');
  mdTable(
    ['sshds log root in to', 'relay delay each way', '1 host', '8 hosts', 'ratio'],
    r.runs.map((h) => [homes(h), `${h.delayMs} ms`, fmtMs(h.oneMs), fmtMs(h.eightMs), fmtRatio(h.ratio)]),
  );
}

function printLint(r: FlowLintResult): void {
  say(`\n5. Flow lint: badgateway lint on generated flows of one size and 4x that size; time beyond starting (--version, ${fmtMs(r.startMs)})`);
  for (const s of r.shapes) {
    say(
      `   ${s.shape.padEnd(26)} ${(s.small.bytes / 1024).toFixed(0)} KiB ${fmtMs(s.small.ms)} (baseline), ${(s.large.bytes / 1024).toFixed(0)} KiB ${fmtMs(s.large.ms)}: ratio ${fmtRatio(s.ratio)}   goal <= ${GOAL.lintRatio}x (linear ~4x, quadratic ~16x): ${mark(s.ratio <= GOAL.lintRatio)}`,
    );
  }
  md.push(
    `**Flow lint** (\`badgateway lint\` on generated flows, median of ${reps}; ratio = time beyond starting the CLI (${fmtMs(r.startMs)}), 4x the file over 1x: linear is about 4x, quadratic about 16x):`,
    '',
  );
  mdTable(
    ['flow', '1x', '4x', 'ratio', 'goal'],
    r.shapes.map((s) => [
      s.shape,
      `${(s.small.bytes / 1024).toFixed(0)} KiB: ${fmtMs(s.small.ms)}`,
      `${(s.large.bytes / 1024).toFixed(0)} KiB: ${fmtMs(s.large.ms)}`,
      fmtRatio(s.ratio),
      `<= ${GOAL.lintRatio}x`,
    ]),
  );
}

function printConfig(r: HugeConfigResult): void {
  say(`\n6. Huge configs: badgateway --json --url on a real nginx with ${r.huge.sites} vhosts vs 1 (backend-down; median of ${reps}; max RSS by /usr/bin/time -f %M)`);
  const row = (c: typeof r.one, label: string) => `   ${label.padEnd(44)}${fmtMs(c.ms).padStart(9)}   max RSS ${(c.maxRssKb / 1024).toFixed(0).padStart(4)} MiB   config by ${c.how}, cause ${c.cause}`;
  say(row(r.one, '1 vhost (baseline)'));
  say(row(r.huge, `${r.huge.sites} vhosts, the files read`));
  say(row(r.oneKept, '1 vhost, read kept from the run before'));
  say(row(r.hugeKept, `${r.huge.sites} vhosts, read kept from the run before`));
  say(row(r.dumped, `${r.huge.sites} vhosts, nginx -T (the old way)`));
  say(`   ratio to 1 vhost: first run ${fmtRatio(r.ratio)} (goal <= ${GOAL.configRatio}x: ${mark(r.ratio <= GOAL.configRatio)}), nginx -T ${fmtRatio(r.dumpedRatio)}`);
  say(
    `   ratio, read kept: to 1 vhost kept ${fmtRatio(r.keptRatio)} (goal <= ${GOAL.configRatio}x: ${mark(r.keptRatio <= GOAL.configRatio)}), to 1 vhost's first run ${fmtRatio(r.keptToFirstRatio)} (goal <= ${GOAL.configRatio}x: ${mark(r.keptToFirstRatio <= GOAL.configRatio)})`,
  );
  md.push(`**Huge configs** (\`--json --url\`, local, backend-down, median of ${reps}; nginx -T measured on the same box after its main file was touched, so the reader hands over to it):`, '');
  mdTable(
    ['config', 'read by', 'time', 'max RSS', 'ratio to 1 vhost', 'goal'],
    [
      ['1 vhost', r.one.how, fmtMs(r.one.ms), `${(r.one.maxRssKb / 1024).toFixed(0)} MiB`, '1.00x', ''],
      [`${r.huge.sites} vhosts`, r.huge.how, fmtMs(r.huge.ms), `${(r.huge.maxRssKb / 1024).toFixed(0)} MiB`, fmtRatio(r.ratio), `<= ${GOAL.configRatio}x`],
      ['1 vhost, run again', `${r.oneKept.how} (kept)`, fmtMs(r.oneKept.ms), `${(r.oneKept.maxRssKb / 1024).toFixed(0)} MiB`, fmtRatio(r.oneKept.ms / r.one.ms), ''],
      [
        `${r.huge.sites} vhosts, run again`,
        `${r.hugeKept.how} (kept)`,
        fmtMs(r.hugeKept.ms),
        `${(r.hugeKept.maxRssKb / 1024).toFixed(0)} MiB`,
        `${fmtRatio(r.keptToFirstRatio)} (${fmtRatio(r.keptRatio)} to 1 vhost run again)`,
        `<= ${GOAL.configRatio}x`,
      ],
      [`${r.huge.sites} vhosts`, r.dumped.how, fmtMs(r.dumped.ms), `${(r.dumped.maxRssKb / 1024).toFixed(0)} MiB`, fmtRatio(r.dumpedRatio), '(the old way)'],
    ],
  );
}

function printInstall(r: InstallSize): void {
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
  say('\n7. Installed size: npm pack, then npm install -g --offline of the tarball into an empty prefix (du -sk)');
  say(
    `   the package as shipped             ${mb(r.installedKb).padStart(9)}, ${r.packages} package(s), install scripts: ${r.scripts.join(', ') || 'none'}   goal <= ${GOAL.installMb} MiB: ${mark(r.installedKb / 1024 <= GOAL.installMb)}`,
  );
  say(
    `   with the bundled libraries as runtime dependencies (baseline, from node_modules) ${mb(r.baselineKb)}, ${r.baselinePackages} packages, install scripts: ${r.baselineScripts.join(', ') || 'none'}`,
  );
  say(`   ratio ${fmtRatio(r.installedKb / r.baselineKb)}`);
  md.push(
    '**Installed size** (`npm install -g --offline` of the packed tarball, `du -sk`; the baseline adds what the bundled libraries would install as runtime dependencies, measured in node_modules):',
    '',
  );
  mdTable(
    ['install', 'size', 'packages', 'install scripts'],
    [
      ['as shipped', mb(r.installedKb), String(r.packages), r.scripts.join(', ') || 'none'],
      ['bundled libraries as dependencies (before)', mb(r.baselineKb), String(r.baselinePackages), r.baselineScripts.join(', ') || 'none'],
    ],
  );
}

const log = (line: string) => console.error(line);
const part = async <T>(name: string, run: () => Promise<T>, print: (r: T) => void) => {
  if (!only.has(name)) return;
  const t = performance.now();
  console.error(`[bench] ${name}...`);
  print(await run());
  console.error(`[bench] ${name} took ${fmtMs(performance.now() - t)}`);
};

const removeSnapshot = snapshotBuild();
try {
  await part('frame', () => firstFrame(frames), printFrame);
  await part('rounds', () => roundTrips({ delayMs, reps, scenarios: SCENARIOS.filter((s) => !causeFilter || causeFilter.has(s.cause)), log }), printRounds);
  await part('logs', () => hugeLogs({ reps, log }), printLogs);
  await part('hosts', () => multiHost({ delayMs, reps, log }), printHosts);
  await part('lint', () => flowLint({ reps }), printLint);
  await part('config', () => hugeConfig({ reps, sites, log }), printConfig);
  await part('install', async () => installSize(), printInstall);
} finally {
  removeSnapshot();
}
say(`\nbench took ${fmtMs(performance.now() - started)}`);
md.push(`The bench took ${fmtMs(performance.now() - started)}.`);
if (process.env.BENCH_MARKDOWN) writeFileSync(process.env.BENCH_MARKDOWN, `${md.join('\n')}\n`);
