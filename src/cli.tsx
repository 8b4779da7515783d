import { parseArgs, USAGE, type DiagnoseMode, type Mode } from './args.js';
import { requestFacts } from './facts/request.js';
import { currentNode, startSession } from './engine/session.js';
import type { KnownFacts } from './facts/keys.js';
import type { Flow } from './flow/schema.js';
import { exitOnError } from './modes/exit.js';
import { checkWritable } from './modes/private-file.js';
import { loadFlow } from './flow-files/shipped.js';
import { earlyFrame } from './ui/early-frame.js';
import { colorsEnabled } from './ui/theme.js';

declare const BADGATEWAY_VERSION: string | undefined;

/**
 * Ink draws only a last frame, at exit, when it believes it runs in CI (a CI variable is set). A wizard on
 * a terminal has a person in front of it whatever the environment says, so it must draw every frame.
 */
function drawLiveOnTerminal(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return;
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}

/** The wizard's first frame, drawn while its UI loads; the rows it took (Ink's first frame replaces them). */
function drawEarlyFrame(flow: Flow, inputs: KnownFacts, mode: DiagnoseMode): number {
  if (mode.replay || !process.stdin.isTTY || !process.stdout.isTTY) return 0;
  const hostLabel = mode.hosts.length ? mode.hosts.map((h) => h.target).join(' ') : 'local';
  const lines = earlyFrame({
    flowTitle: flow.title,
    hostLabel,
    ...(inputs['request.url'] ? { url: inputs['request.url'] } : {}),
    node: currentNode(startSession(flow, inputs)),
    status: mode.hosts.length ? `connecting to ${hostLabel}…` : 'checking…',
    columns: process.stdout.columns || 80,
    color: colorsEnabled(),
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return lines.length;
}

/** Picks a mode and loads only what that mode needs: the wizard's first frame must not wait for the rest. */
async function main(mode: Mode): Promise<number> {
  if (mode.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (mode.kind === 'version') {
    process.stdout.write(`${typeof BADGATEWAY_VERSION === 'string' ? BADGATEWAY_VERSION : 'dev'}\n`);
    return 0;
  }
  if (mode.kind === 'lint') return (await import('./modes/lint.js')).lint(mode.paths);
  if (mode.kind === 'practice' && mode.live) {
    const live = await import('./modes/practice-live.js');
    return mode.list ? live.listLive(mode.json) : live.practiceLive(mode.incident);
  }
  if (mode.kind === 'practice') {
    if (!mode.list) drawLiveOnTerminal();
    const practice = await import('./modes/practice.js');
    if (mode.list) return practice.listPractice(mode.json);
    return practice.practice(await loadFlow(null), mode.incident);
  }
  if (mode.kind === 'undo') return (await import('./modes/undo.js')).undo(mode);
  if (mode.kind === 'route') return (await import('./modes/route.js')).route(mode);
  // A file to write whose folder is missing (or a device of that name) is refused before anything runs.
  if (mode.record) checkWritable('--record', mode.record);
  if (mode.report) checkWritable('--report', mode.report);
  const inputs: KnownFacts = { ...(mode.url ? requestFacts(mode.url) : {}), ...(mode.sinceMs !== null ? { 'history.sinceMs': mode.sinceMs } : {}) };
  const flow = await loadFlow(mode.flow);
  if (mode.json) return (await import('./modes/json.js')).diagnoseJson(flow, inputs, mode);
  drawLiveOnTerminal();
  const earlyRows = drawEarlyFrame(flow, inputs, mode);
  return (await import('./modes/wizard.js')).wizard(flow, inputs, mode, earlyRows);
}

try {
  process.exitCode = await main(parseArgs(process.argv.slice(2)));
} catch (error) {
  // Every mode's errors end here: one message on stderr, the exit code the error carries (src/errors.ts).
  process.exit(exitOnError(error));
}
