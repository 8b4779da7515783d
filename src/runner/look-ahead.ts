/**
 * Look-ahead: while a step runs, the read-only commands of the steps after it whose facts are already
 * known (a check's `early`) run too, so those steps find their answers waiting. Pure.
 */
import type { Check } from '../checks/check.js';
import { currentNode, factsOf, type Session } from '../engine/session.js';
import type { FactKey, KnownFacts } from '../facts/keys.js';
import type { CommandSpec } from '../hosts/host.js';

/** How far ahead (steps) and how much (commands) the look-ahead goes. */
const MAX_DEPTH = 8;
const MAX_COMMANDS = 24;
const MAX_CHAINS = 2;

export interface AheadCommand {
  spec: CommandSpec;
  /** The step runs on the backend's box (on_host: backend). */
  onBackend: boolean;
}

/** A check ahead whose later rounds run ahead too, each once the round before it answered (early: 'every-round'). */
export interface AheadChain {
  check: Check;
  onBackend: boolean;
}

const known = (keys: readonly FactKey[], facts: KnownFacts) => keys.every((key) => facts[key] !== undefined && facts[key] !== null);
/** What the look-ahead of a step ahead waits for: its aheadNeeds where it has them. */
const aheadKnown = (check: Check, facts: KnownFacts) => known(check.aheadNeeds ?? check.needs, facts);

/** `plan` of a check, or nothing when it needs a fact the trail has not learned yet. */
function planned(plan: () => CommandSpec[]): CommandSpec[] {
  try {
    return plan();
  } catch {
    return [];
  }
}

/** A step ahead's commands that may run now: its early ones. */
function earlyCommands(check: Check, facts: KnownFacts): CommandSpec[] {
  const { early } = check;
  if (early === 'first-round' || early === 'every-round') return aheadKnown(check, facts) ? planned(() => check.plan(facts, [])) : [];
  return early ? planned(() => early(facts)) : [];
}

/** The current step's first round, once the facts it needs are known. */
function firstRound(check: Check, facts: KnownFacts): CommandSpec[] {
  return known(check.needs, facts) ? planned(() => check.plan(facts, [])) : [];
}

const keyOf = (c: AheadCommand) => JSON.stringify([c.onBackend || c.spec.on === 'backend', c.spec.argv, c.spec.stdin ?? null]);

/** The commands steps ahead of the current one may run now, minus what the current step asks first. */
export function commandsAhead(session: Session, checkById: (id: string) => Check): AheadCommand[] {
  return lookAhead(session, checkById).commands;
}

/**
 * What the look-ahead starts now: the first commands of the steps ahead (minus what the current step asks
 * first), and the steps ahead whose every round may run ahead.
 */
export function lookAhead(session: Session, checkById: (id: string) => Check): { commands: AheadCommand[]; chains: AheadChain[] } {
  const here = currentNode(session);
  if (here.kind !== 'step') return { commands: [], chains: [] };
  const facts = factsOf(session);
  const own = checkById(here.check);
  // The step's own first round, planned only when something ahead may run (a plan can be costly: the route's
  // on 20,000 vhosts).
  let ownFirst: Set<string> | undefined;
  const taken = new Set<string>();
  const isOwn = (key: string) => {
    ownFirst ??= new Set(firstRound(own, facts).map((spec) => keyOf({ spec, onBackend: here.on_host === 'backend' })));
    return ownFirst.has(key);
  };
  const found: AheadCommand[] = [];
  const chains: AheadChain[] = [];
  const seen = new Set([here.id]);
  let layer = Object.values(here.on);
  for (let depth = 0; depth < MAX_DEPTH && layer.length; depth++) {
    const next: string[] = [];
    for (const id of layer) {
      if (seen.has(id)) continue;
      seen.add(id);
      const node = session.flow.nodes[id];
      if (node?.kind !== 'step') continue;
      next.push(...Object.values(node.on));
      const check = checkById(node.check);
      if (check.early === 'every-round' && check.id !== own.id && aheadKnown(check, facts) && !chains.some((c) => c.check.id === check.id && c.onBackend === (node.on_host === 'backend'))) {
        chains.push({ check, onBackend: node.on_host === 'backend' });
      }
      for (const spec of earlyCommands(check, facts)) {
        const command = { spec, onBackend: node.on_host === 'backend' };
        const key = keyOf(command);
        if (taken.has(key) || isOwn(key)) continue;
        taken.add(key);
        found.push(command);
      }
    }
    layer = next;
  }
  return { commands: found.slice(0, MAX_COMMANDS), chains: chains.slice(0, MAX_CHAINS) };
}

/**
 * What the session's first step asks in its first round, when that step runs on nginx's box and its
 * facts are known: these go to the box with the login itself (SshOptions.atLogin).
 */
export function firstCommands(session: Session, checkById: (id: string) => Check): CommandSpec[] {
  const here = currentNode(session);
  if (here.kind !== 'step' || here.on_host === 'backend') return [];
  return firstRound(checkById(here.check), factsOf(session)).filter((spec) => spec.on !== 'backend');
}
