import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli } from './badgateway.js';

/** A state folder of this test's own (backups, journal): never /var/lib/badgateway of the box. */
export function stateDir(later: (cleanup: () => void) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'bgw-state-'));
  later(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Applied {
  code: number;
  report: any;
  stderr: string;
}

/** badgateway --json --apply --yes for a URL, with its parsed report and the step log (stderr). */
export async function applyFix(url: string, state: string, options: { wrap?: (argv: string[]) => string[]; env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<Applied> {
  const env = { ...process.env, BADGATEWAY_STATE_DIR: state, ...options.env };
  const run = await runCli(['--json', '--apply', '--yes', '--url', url, ...(options.args ?? [])], { env, timeoutMs: 120_000, ...(options.wrap ? { wrap: options.wrap } : {}) });
  try {
    return { code: run.code, report: JSON.parse(run.stdout), stderr: run.stderr };
  } catch {
    throw new Error(`badgateway --apply printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** badgateway undo on this machine (or through `wrap`), with the same state folder. */
export function undo(state: string, options: { wrap?: (argv: string[]) => string[]; json?: boolean } = {}) {
  return runCli(['undo', ...(options.json ? ['--json'] : [])], { env: { ...process.env, BADGATEWAY_STATE_DIR: state }, timeoutMs: 60_000, ...(options.wrap ? { wrap: options.wrap } : {}) });
}

/** The status and body nginx answers now, asked with curl (through `wrap` for a namespace). */
export function answer(url: string, wrap: (argv: string[]) => string[] = (a) => a): Promise<{ status: number; body: string }> {
  const argv = wrap(['curl', '-sS', '--max-time', '15', '-w', '\n%{http_code}', url]);
  return new Promise((resolve) => {
    execFile(argv[0] as string, argv.slice(1), { encoding: 'utf8' }, (_error, stdout) => {
      const at = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(at + 1)) || 0, body: stdout.slice(0, Math.max(at, 0)) });
    });
  });
}

export function journalOf(state: string): any[] {
  return readFileSync(join(state, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

export const changesOf = (report: any, kind: string): any[] => report.fix.changes.filter((c: { kind: string }) => c.kind === kind);

export { CLI };
