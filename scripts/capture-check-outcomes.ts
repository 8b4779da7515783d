/**
 * Captures the runs of checks that test/unit/checks/outcomes-meta.test.ts holds each outcome to
 * (test/fixtures/checks/<check>/<outcome>.json; the folder's README.md gives the format). Two sources:
 *
 *   npx tsx scripts/capture-check-outcomes.ts incidents
 *     replays incidents/*.json (recorded from real nginx by scripts/record-incidents.ts) and keeps each check's
 *     run at each step: the facts the walk had learned and the outputs as recorded.
 *
 *   npm run build && npx tsx scripts/capture-check-outcomes.ts lab [SITUATION...]     (as root, Debian, the lab's packages)
 *     breaks a real setup for each situation below, runs `badgateway --json --record` on it (as root, or as
 *     nobody where the situation says), replays the recording the same way, and keeps the runs it is for.
 *     It runs itself in fresh PID, network and cgroup namespaces, as record-incidents.ts does.
 *
 * A capture already in place is kept; --force writes over it. Nothing under test/fixtures/checks/ that
 * says it comes from here is written by hand.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKS } from '../src/checks/index.js';
import { currentNode, isFinished, startSession } from '../src/engine/session.js';
import type { KnownFacts } from '../src/facts/keys.js';
import { loadFlow } from '../src/flow-files/shipped.js';
import type { CommandResult } from '../src/hosts/host.js';
import { inputsOfRecording, readRecordingFile } from '../src/modes/run-files.js';
import { replayHosts, replayStep } from '../src/record/replay.js';
import { runCli } from '../test/integration/lab/badgateway.js';
import { newLab } from '../test/integration/lab/incidents.js';
import { SITUATIONS, type Situation } from './check-situations.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test', 'fixtures', 'checks');
const ISOLATED = 'BGW_CAPTURE_ISOLATED';
const force = process.argv.includes('--force');
const args = process.argv.slice(2).filter((a) => a !== '--force');

interface Run {
  check: string;
  outcome: string;
  node: string;
  facts: KnownFacts;
  results: CommandResult[];
}

/** Replays a recording step by step with every check's interpret() watched: each run of a check, in order. */
async function runsOf(file: string): Promise<Run[]> {
  const recording = readRecordingFile(file);
  const runs: Run[] = [];
  let node = '';
  const watched = Object.values(CHECKS).map((check) => {
    const interpret = check.interpret;
    check.interpret = (facts, results) => {
      const result = interpret.call(check, facts, results);
      runs.push({ check: check.id, outcome: result.outcome, node, facts: structuredClone(facts), results: results.map((r) => ({ ...r })) });
      return result;
    };
    return () => void (check.interpret = interpret);
  });
  try {
    const flow = await loadFlow(join(ROOT, 'flows', 'nginx-502.yaml'));
    const hosts = replayHosts(recording);
    let session = startSession(flow, inputsOfRecording(recording));
    for (let steps = 0; steps < 64 && !isFinished(session); steps++) {
      node = currentNode(session).id;
      session = await replayStep(session, hosts, recording);
    }
  } finally {
    for (const restore of watched) restore();
  }
  return runs;
}

/** One result as a host hands it back, without the timing noise of a replay. */
const kept = ({ argv, stdout, stderr, code, ms, failure, host }: CommandResult) => ({
  argv,
  stdout,
  stderr,
  code,
  ms,
  ...(failure !== undefined ? { failure } : {}),
  ...(host !== undefined ? { host } : {}),
});

/** Writes a run as its outcome's capture: one fact and one result a line, so a diff reads. */
function write(run: Run, captured: string): boolean {
  const dir = join(OUT, run.check);
  const file = join(dir, `${run.outcome}.json`);
  if (existsSync(file) && !force) return false;
  mkdirSync(dir, { recursive: true });
  const facts = Object.entries(run.facts).map(([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  const results = run.results.map((r) => `    ${JSON.stringify(kept(r))}`);
  const text = [
    '{',
    `  "check": ${JSON.stringify(run.check)},`,
    `  "yields": ${JSON.stringify(run.outcome)},`,
    `  "captured": ${JSON.stringify(captured)},`,
    `  "planned": true,`,
    `  "facts": {\n${facts.join(',\n')}\n  },`,
    `  "results": [\n${results.join(',\n')}\n  ]`,
    '}',
  ].join('\n');
  writeFileSync(file, `${text}\n`);
  return true;
}

async function fromIncidents(): Promise<void> {
  const dir = join(ROOT, 'incidents');
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    const recordedAt = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { recordedAt: string }).recordedAt.slice(0, 10);
    for (const run of await runsOf(join(dir, name))) {
      const captured = `incidents/${name}, step "${run.node}": recorded by scripts/record-incidents.ts on ${recordedAt} (a real nginx and its backends broken on purpose, fresh namespaces, Debian 12), replayed by scripts/capture-check-outcomes.ts incidents: the facts the walk had learned by then and the outputs as recorded.`;
      if (write(run, captured)) process.stdout.write(`+ ${run.check} ${run.outcome} (${name})\n`);
    }
  }
}

function isolate(): never {
  const argv = [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--net', '--cgroup', '--', 'env', `${ISOLATED}=1`, ...argv], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

async function capture(situation: Situation, scratch: string): Promise<string[]> {
  const lab = newLab();
  const file = join(scratch, `${situation.id}.json`);
  try {
    const broken = await situation.setup(lab, scratch);
    const cli = ['--json', '--record', file, ...(broken.url ? ['--url', broken.url] : [])];
    const live = await runCli(cli, broken.wrap ? { wrap: broken.wrap } : {});
    if (!existsSync(file)) throw new Error(`no recording (exit ${live.code}): ${live.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    const today = new Date().toISOString().slice(0, 10);
    const written: string[] = [];
    const missed: string[] = [];
    for (const [check, outcome] of situation.yields) {
      const run = (await runsOf(file)).find((r) => r.check === check && r.outcome === outcome);
      if (!run) {
        missed.push(`${check} ${outcome}`);
        continue;
      }
      const captured = `scripts/capture-check-outcomes.ts lab ${situation.id} on ${today} (Debian 12, nginx 1.22.1, fresh namespaces): ${situation.how} badgateway --json --record ran on it${broken.as ? ` as ${broken.as}` : ' as root'}; this is the run of ${check} at the step "${run.node}" of that recording, replayed.`;
      if (write(run, captured)) written.push(`${check} ${outcome}`);
    }
    if (missed.length) {
      const path = (await runsOf(file)).map((r) => `${r.check}:${r.outcome}`).join(' ');
      throw new Error(`did not yield ${missed.join(', ')}; the walk: ${path}`);
    }
    return written;
  } finally {
    await lab.cleanup();
  }
}

async function fromLab(wanted: string[]): Promise<void> {
  if (process.env[ISOLATED] !== '1') isolate();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const chosen = wanted.length ? SITUATIONS.filter((s) => wanted.includes(s.id)) : SITUATIONS;
  const unknown = wanted.filter((id) => !SITUATIONS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`no situation ${unknown.join(', ')}; there are: ${SITUATIONS.map((s) => s.id).join(', ')}`);
  const scratch = mkdtempSync(join(tmpdir(), 'bgw-capture-'));
  // A situation may run badgateway as nobody, which must write its recording here.
  chmodSync(scratch, 0o1777);
  let failed = 0;
  try {
    for (const situation of chosen) {
      try {
        const written = await capture(situation, scratch);
        process.stdout.write(`✓ ${situation.id}: ${written.length ? written.join(', ') : 'nothing new'}\n`);
      } catch (e) {
        failed++;
        process.stdout.write(`✗ ${situation.id}: ${(e as Error).message}\n`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}

const [source, ...rest] = args;
if (source === 'incidents') await fromIncidents();
else if (source === 'lab') await fromLab(rest);
else {
  process.stderr.write('usage: npx tsx scripts/capture-check-outcomes.ts incidents | lab [SITUATION...] [--force]\n');
  process.exit(2);
}
