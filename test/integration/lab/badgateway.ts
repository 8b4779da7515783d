import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI; BADGATEWAY_CLI points at another build (a private copy while others rebuild dist/). */
export const CLI = process.env.BADGATEWAY_CLI ?? fileURLToPath(new URL('../../../dist/badgateway.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built badgateway as a person would, with no terminal. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; wrap?: (argv: string[]) => string[] } = {}): Promise<CliRun> {
  const argv = (options.wrap ?? ((a: string[]) => a))([process.execPath, CLI, ...args]);
  return new Promise((resolve) => {
    execFile(argv[0] as string, argv.slice(1), { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** badgateway --json for a URL, with its parsed report. */
export async function diagnose(url: string, options: { wrap?: (argv: string[]) => string[] } = {}): Promise<CliRun & { report: any }> {
  const run = await runCli(['--json', '--url', url], options);
  let report: unknown;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`badgateway --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { ...run, report };
}
