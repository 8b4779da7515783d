import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killTree } from '../test/integration/lab/sshd.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let cliPath = join(ROOT, 'dist', 'badgateway.js');

/** The built CLI the bench runs: dist/badgateway.js, or its snapshot once snapshotBuild() ran. */
export const cli = () => cliPath;

/**
 * Copies dist/ and flows/ (what the bundle reads beside itself) to a temp folder and runs that copy, so
 * a rebuild in the tree while the bench runs cannot change or remove what is measured. Returns a remover.
 * Timestamps are kept: the bundle uses its compiled flow only when it is not older than flows/*.yaml.
 */
export function snapshotBuild(): () => void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build first (npm run bench builds)`);
  const dir = mkdtempSync(join(tmpdir(), 'bgw-bench-build-'));
  for (const part of ['dist', 'flows', 'incidents', 'package.json']) if (existsSync(join(ROOT, part))) cpSync(join(ROOT, part), join(dir, part), { recursive: true, preserveTimestamps: true });
  cliPath = join(dir, 'dist', 'badgateway.js');
  return () => rmSync(dir, { recursive: true, force: true });
}

export interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Each stderr line with when it arrived (ms since spawn): badgateway's apply progress is timed from these. */
  stderrLines: { at: number; line: string }[];
}

/** Runs argv to its end (killed by PID after timeoutMs) and measures its wall time from spawn to exit. */
export function timed(argv: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Timed> {
  const started = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  let partial = '';
  const stderrLines: Timed['stderrLines'] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => {
    const at = performance.now() - started;
    err += d;
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) stderrLines.push({ at, line });
  });
  // The whole tree: under /usr/bin/time the program is a child, and its pipes keep 'close' from coming.
  const timer = setTimeout(() => {
    if (child.pid) killTree(child.pid);
  }, options.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      resolve({ ms, code: code ?? (signal ? -1 : 0), stdout: Buffer.concat(out).toString(), stderr: err, stderrLines });
    });
  });
}

/** badgateway's --json report from a run, or an error that says in one line what it printed instead. */
export function reportOf(run: Timed): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    const said = `${run.stdout}\n${run.stderr}`
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /error|cannot|failed/i.test(l));
    throw new Error(`badgateway printed no JSON (exit ${run.code}): ${(said[0] ?? run.stderr.trim().slice(0, 200)) || 'nothing'}`);
  }
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const fmtRatio = (r: number) => `${r.toFixed(2)}x`;
