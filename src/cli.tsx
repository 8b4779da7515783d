import { render } from 'ink';
import React from 'react';
import { parseArgs, USAGE, UsageError, type Mode } from './args.js';
import type { KnownFacts } from './facts.js';
import type { HostSet } from './hosts/host-set.js';
import { connectHosts, describeHosts, isReachFailure } from './session/connect.js';
import { BadUrl, requestFacts } from './checks/request-url.js';
import { CATALOG } from './checks/index.js';
import { startSession } from './engine/session.js';
import { FlowError, loadFlowFile } from './flow/loader.js';
import { formatProblem, lintFlow } from './flow/lint.js';
import type { Flow } from './flow/schema.js';
import { buildReport, EXIT } from './report/json.js';
import { StepFailed, walkToEnd } from './session/driver.js';
import { planFix } from './session/fix.js';
import { defaultFlowFile, flowsDir } from './session/flows.js';
import { lintPaths } from './session/lint-paths.js';
import { createSessionStore } from './store/session-store.js';
import { App } from './ui/app.js';

declare const BADGATEWAY_VERSION: string | undefined;

type DiagnoseMode = Extract<Mode, { kind: 'diagnose' }>;

function fail(message: string, code: number): never {
  process.stderr.write(`badgateway: ${message}\n`);
  process.exit(code);
}

function lint(paths: string[]): number {
  const problems = lintPaths(paths.length ? paths : [flowsDir()], CATALOG);
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (!problems.length) process.stdout.write('flows are complete: every outcome branches, every node is reached, every path ends\n');
  return problems.length ? EXIT.usage : 0;
}

function loadFlow(file: string | null): Flow {
  const flow = loadFlowFile(file ?? defaultFlowFile());
  const problems = lintFlow(flow, CATALOG);
  if (problems.length) fail(`the flow is incomplete:\n${problems.map(formatProblem).join('\n')}`, EXIT.usage);
  return flow;
}

async function diagnoseJson(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode): Promise<number> {
  const notes: string[] = [];
  let session = startSession(flow, inputs);
  let hosts: HostSet;
  try {
    hosts = await connectHosts(mode.hosts, { asker: null, acceptNewHostKey: mode.acceptNewHostKey, notes });
  } catch (e) {
    if (!isReachFailure(e)) throw e;
    const report = buildReport(session, null, mode.hosts.map((h) => ({ role: h.role, label: h.target })), e.message, notes);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.exitCode;
  }
  let error: string | null = null;
  try {
    session = await walkToEnd(session, hosts);
  } catch (e) {
    if (!(e instanceof StepFailed)) throw e;
    error = e.message;
  }
  let fix = null;
  try {
    fix = error ? null : planFix(session);
  } catch (e) {
    error = `could not plan the fix: ${(e as Error).message}`;
  }
  const report = buildReport(session, fix, describeHosts(hosts), error, notes);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await hosts.close();
  return report.exitCode;
}

async function wizard(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    fail('the wizard needs a terminal; for a report without one, use --json (badgateway --json --url URL)', EXIT.usage);
  }
  const store = createSessionStore({
    flow,
    inputs,
    hostLabel: mode.hosts.map((h) => h.target).join(' ') || 'local',
    connect: (asker) => connectHosts(mode.hosts, { asker, acceptNewHostKey: false }),
  });
  const app = render(<App store={store} />);
  await app.waitUntilExit();
  const state = store.getState();
  if (state.phase === 'failed') return EXIT.unreachable;
  return buildReport(state.session, state.fix, []).exitCode;
}

async function main(mode: Mode): Promise<number> {
  if (mode.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (mode.kind === 'version') {
    process.stdout.write(`${typeof BADGATEWAY_VERSION === 'string' ? BADGATEWAY_VERSION : 'dev'}\n`);
    return 0;
  }
  if (mode.kind === 'lint') return lint(mode.paths);
  const flow = loadFlow(mode.flow);
  const inputs = mode.url ? requestFacts(mode.url) : {};
  return mode.json ? diagnoseJson(flow, inputs, mode) : wizard(flow, inputs, mode);
}

try {
  process.exitCode = await main(parseArgs(process.argv.slice(2)));
} catch (error) {
  if (error instanceof UsageError || error instanceof BadUrl) fail(`${error.message}\n\n${USAGE}`, EXIT.usage);
  if (error instanceof FlowError) fail(error.message, EXIT.usage);
  fail(`unexpected error: ${(error as Error).stack ?? error}`, EXIT.unreachable);
}
