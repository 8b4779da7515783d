import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { BadInput, CannotRun } from '../errors.js';
import { sealBoxes } from '../live/box.js';
import { inspect } from '../live/inspect.js';
import { openScenario } from '../live/open-scenario.js';
import { OTHER_SITE } from '../live/other-site.js';
import { findScenario, menu, type Scenario } from '../live/scenarios.js';
import { missingFor, STACK_KINDS } from '../live/stack-kinds.js';
import type { Stack } from '../live/stacks.js';
import { furnish, hintsUsed, openShell } from '../live/trainee-shell.js';
import { clock, passed, score, verdict } from '../live/verdict.js';
import { EXIT } from '../report/exit-codes.js';
import { shownCommand } from '../shell/quote.js';
import { jsonText, oneLine, stripControl } from '../shell/sanitize.js';

const out = (text: string) => void process.stdout.write(`${stripControl(text)}\n`);
const stars = (n: number) => `${'*'.repeat(n)}${'.'.repeat(5 - n)}`;

/** `badgateway practice --live --list [--json]`: the scenarios by symptom, easiest first (never their cause). */
export function listLive(json: boolean): number {
  const scenarios = menu();
  if (json) {
    process.stdout.write(`${jsonText(scenarios.map(({ id, symptom, difficulty, stack }) => ({ id, symptom, difficulty, stack })))}\n`);
    return 0;
  }
  scenarios.forEach((s, i) => out(oneLine(`${String(i + 1).padStart(2)}  ${stars(s.difficulty)}  ${s.id.padEnd(22)} ${s.symptom}`)));
  return 0;
}

const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));
const exists = (program: string) => (program.includes('/') ? existsSync(program) : onPath(program));

/** Refuses, with what to do, where a live box cannot be built: not root, no namespaces, programs missing. */
function preflight(scenario: Scenario): void {
  if (process.getuid?.() !== 0) {
    throw new CannotRun(
      'practice --live needs root: it builds the box in namespaces of its own (unshare) and runs nginx and the backends there. Run it as root (sudo badgateway practice --live); nothing outside the box is changed.',
    );
  }
  const { missing, install } = missingFor(scenario.stack, exists);
  if (missing.length) {
    throw new CannotRun(
      `the scenario ${scenario.id} needs ${missing.map((m) => m.program).join(', ')}; install them with: ${install.join('; ')} (the integration lab's full list: test/integration/lab/packages.json)`,
    );
  }
  const probe = spawnSync('unshare', ['--mount', '--net', '--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) {
    throw new CannotRun(`this machine gives no private mount, network and PID namespaces (unshare said: ${(probe.stderr || String(probe.error ?? '')).trim()}); a container may need --privileged`);
  }
}

/** One answer from the person, or null on Ctrl-C or a closed input. */
async function ask(question: string): Promise<string | null> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await new Promise<string | null>((resolve) => {
      rl.once('SIGINT', () => resolve(null));
      rl.once('close', () => resolve(null));
      rl.question(question).then(
        (a) => resolve(a.trim().toLowerCase()),
        () => resolve(null),
      );
    });
  } finally {
    rl.close();
    process.stdin.pause();
  }
}

async function chooseScenario(name: string | null): Promise<Scenario> {
  if (name) {
    const found = findScenario(name);
    if (!found) throw new BadInput(`no live scenario ${name}; badgateway practice --live --list shows them`);
    return found;
  }
  out('Live practice: pick a ticket (easiest first).');
  listLive(false);
  const answer = await ask('number or name: ');
  const found = answer ? findScenario(answer) : null;
  if (!found) throw new BadInput(answer ? `no live scenario ${answer}; badgateway practice --live --list shows them` : 'no scenario chosen');
  return found;
}

function printTicket(scenario: Scenario): void {
  out('');
  out(`Ticket ${scenario.id}  (difficulty ${stars(scenario.difficulty)})`);
  out(`  "${scenario.ticket}"`);
  out(`  Failing: ${scenario.url}`);
  out('');
  out('You are root on a broken box of its own: its own nginx, backends, /etc/nginx, /run and /var/log, in namespaces');
  out("that end with this session. Nothing of this machine's nginx, files or network is touched.");
  out('  fixed        when the site works: badgateway checks the box for real');
  out('  badgateway   a hint: the wizard walks the diagnosis step by step (each run costs points)');
  out('  exit         leave the shell (you are asked what next)');
  out('');
}

/** Checks the box; prints the checklist; true when everything holds. */
async function check(stack: Stack, scenario: Scenario): Promise<boolean> {
  out('Checking the box…');
  const boot = STACK_KINDS[scenario.stack].boot;
  const findings = await inspect(stack.box, scenario.url, boot, scenario.afterBoot);
  const lines = verdict(findings, { url: scenario.url, otherUrl: OTHER_SITE.url, boot: shownCommand(...boot, ['nginx']) });
  for (const line of lines) out(`  ${line.ok ? '✓' : '✗'} ${line.text}`);
  return passed(lines);
}

/**
 * `badgateway practice --live [SCENARIO]`: builds the scenario's broken box, shows the ticket, opens a shell in
 * the box, and checks it for real when the trainee says it is fixed. Exit 0 fixed and verified, 1 left unfixed,
 * 2 unknown scenario or no terminal, 3 cannot build a box here.
 */
export async function practiceLive(name: string | null): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new BadInput('practice --live needs a terminal: it opens a shell in the box (badgateway practice --live --list lists the scenarios)');
  }
  const scenario = await chooseScenario(name);
  preflight(scenario);
  // pm2 and the shells keep their state under HOME: inside the box that is its own /root (a tmpfs).
  process.env.HOME = '/root';
  process.env.PM2_HOME = '/root/.pm2';
  // A person types in this box as root: the rest of this machine's files are read-only in it.
  sealBoxes();
  out(`Building the box: ${STACK_KINDS[scenario.stack].title} behind nginx, then breaking it…`);
  let stack: Stack;
  try {
    stack = await openScenario(scenario);
  } catch (e) {
    throw new CannotRun(`could not build the box for ${scenario.id}: ${(e as Error).message}`);
  }
  const ignoreInterrupt = () => {};
  try {
    furnish(stack.box, scenario.id, { node: process.execPath, script: process.argv[1] ?? '' });
    printTicket(scenario);
    const started = Date.now();
    for (let round = 0; round < 100; round++) {
      process.on('SIGINT', ignoreInterrupt);
      const { fixed } = await openShell(stack.box).finally(() => process.off('SIGINT', ignoreInterrupt));
      let next = fixed ? 'c' : await ask('\nLeft the box. [c] check it now, [b] back into the shell, [q] give up: ');
      if (next === null || next === 'q') break;
      if (next !== 'c') continue;
      if (await check(stack, scenario)) {
        const seconds = (Date.now() - started) / 1000;
        const hints = hintsUsed(stack.box);
        const s = score({ hints, seconds, difficulty: scenario.difficulty });
        out('');
        out(`Fixed in ${clock(seconds)} (par ${s.parMinutes} min), ${hints} hint${hints === 1 ? '' : 's'}.`);
        out(`Score: ${s.points}/100  (hints -${s.hintPenalty}, time -${s.timePenalty})`);
        out(`The cause was ${scenario.cause}.`);
        return EXIT.healthyOrFixed;
      }
      next = await ask('Not fixed yet. [b] back into the shell, [q] give up: ');
      if (next === null || next === 'q') break;
    }
    out(`Left unfixed: the cause was ${scenario.cause}. badgateway practice --live ${scenario.id} to try again.`);
    return EXIT.diagnosed;
  } finally {
    await stack.box.remove();
    out('The box is gone: every process it started has ended.');
  }
}
