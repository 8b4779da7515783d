/**
 * Regenerates the incidents `badgateway practice` offers (incidents/<id>.json): for each scenario of
 * test/integration/lab/incidents.ts it breaks a real nginx, runs `badgateway --json --record` on it,
 * checks the diagnosis is the scenario's cause and that the recording replays to the same path, then
 * tears the setup down. Nothing in incidents/ is written by hand.
 *
 *   npm run build && npx tsx scripts/record-incidents.ts [ID...]     (as root, on Debian with the lab's packages)
 *
 * It runs itself in fresh PID, network and cgroup namespaces, so the recordings show only the lab's
 * processes and listeners, never the rest of the machine. The kernel log has no namespace: it is cut
 * down to the lines about killed or crashed processes (all the crash check reads), and the replay
 * check below runs on the file as written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../test/integration/lab/badgateway.js';
import { newLab, SCENARIOS, type Scenario } from '../test/integration/lab/incidents.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'incidents');
const ISOLATED = 'BGW_RECORD_ISOLATED';
const ATTEMPTS = 2;

function isolate(): never {
  const argv = [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--net', '--cgroup', '--', 'env', `${ISOLATED}=1`, ...argv], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

interface Recorded {
  recording: Record<string, unknown> & { diagnosis: { cause: string | null }; trail: { node: string; outcome: string }[] };
  path: string[];
}

/** Kernel messages a crash check reads: a process killed for memory, or one that faulted. */
const KERNEL_CRASH = /Killed process \d+|oom-kill:|segfault at|general protection fault|traps: /;

function trimKernelLog(file: string): void {
  const recording = JSON.parse(readFileSync(file, 'utf8')) as { commands: Record<string, { argv: string[]; stdout: string }[]> };
  for (const commands of Object.values(recording.commands)) {
    for (const command of commands) {
      if (command.argv[0] !== 'dmesg') continue;
      command.stdout = command.stdout
        .split('\n')
        .filter((line) => KERNEL_CRASH.test(line))
        .map((line) => `${line}\n`)
        .join('');
    }
  }
  writeFileSync(file, `${JSON.stringify(recording, null, 2)}\n`);
}

function parsed(run: { code: number; stdout: string; stderr: string }) {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`badgateway printed no JSON (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
}

const pathOf = (report: { steps: { node: string; outcome: string }[] }) => report.steps.map((s) => `${s.node}:${s.outcome}`);

async function recordOnce(scenario: Scenario, scratch: string): Promise<Recorded> {
  const lab = newLab();
  const file = join(scratch, `${scenario.id}.json`);
  try {
    const broken = await scenario.setup(lab);
    const live = await runCli(['--json', '--url', broken.url, '--record', file], broken.wrap ? { wrap: broken.wrap } : {});
    const report = parsed(live);
    if (report.diagnosis.cause !== scenario.cause) throw new Error(`diagnosed ${report.diagnosis.cause} (${report.diagnosis.title}), expected ${scenario.cause}; path ${pathOf(report).join(' ')}`);
    trimKernelLog(file);
    // The recording must stand on its own: no box at all, the same path and cause.
    const replayed = parsed(await runCli(['--json', '--replay', file]));
    if (replayed.diagnosis.cause !== scenario.cause || pathOf(replayed).join() !== pathOf(report).join()) {
      throw new Error(`the replay took another path: ${pathOf(replayed).join(' ')} (${replayed.diagnosis.cause})`);
    }
    return { recording: JSON.parse(readFileSync(file, 'utf8')), path: pathOf(report) };
  } finally {
    await lab.cleanup();
  }
}

async function main(): Promise<void> {
  if (process.env[ISOLATED] !== '1') isolate();
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  if (!existsSync(join(ROOT, 'dist', 'badgateway.js'))) throw new Error('dist/badgateway.js is missing: run npm run build first');
  const wanted = process.argv.slice(2);
  const chosen = wanted.length ? SCENARIOS.filter((s) => wanted.includes(s.id)) : SCENARIOS;
  const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`no scenario ${unknown.join(', ')}; there are: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  mkdirSync(OUT, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), 'bgw-record-'));
  chmodSync(scratch, 0o700);
  let failed = 0;
  try {
    for (const scenario of chosen) {
      let last: Error | null = null;
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        try {
          const { recording, path } = await recordOnce(scenario, scratch);
          const incident = { ...recording, incident: { id: scenario.id, title: scenario.title, story: scenario.story } };
          writeFileSync(join(OUT, `${scenario.id}.json`), `${JSON.stringify(incident, null, 2)}\n`, { mode: 0o644 });
          chmodSync(join(OUT, `${scenario.id}.json`), 0o644);
          process.stdout.write(`✓ ${scenario.id.padEnd(22)} ${scenario.cause.padEnd(22)} ${path.length} steps\n`);
          last = null;
          break;
        } catch (e) {
          last = e as Error;
        }
      }
      if (last) {
        failed++;
        process.stdout.write(`✗ ${scenario.id.padEnd(22)} ${scenario.cause.padEnd(22)} ${last.message}\n`);
      }
    }
    if (!wanted.length) {
      // A scenario that was removed leaves no stale incident behind.
      for (const name of readdirSync(OUT)) if (name.endsWith('.json') && !SCENARIOS.some((s) => `${s.id}.json` === name)) rmSync(join(OUT, name));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}

await main();
