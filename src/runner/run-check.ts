import type { Check, CheckResult } from '../checks/check.js';
import type { Evidence } from '../facts/evidence.js';
import { dialledAddress } from '../facts/dialled.js';
import type { KnownFacts } from '../facts/keys.js';
import type { HostSet } from '../hosts/host-set.js';
import { NO_BACKEND_VIEW, type CommandResult, type CommandSpec, type Host } from '../hosts/host.js';
import { shownCommand } from '../shell/quote.js';
import type { AheadChain, AheadCommand } from './look-ahead.js';
import { stripControl } from '../shell/sanitize.js';

/** A check may ask for more commands after seeing results, but never forever. */
const MAX_ROUNDS = 6;

export interface CheckRun {
  result: CheckResult;
  commands: CommandResult[];
  /** Labels of the hosts the check's commands ran on, proxy first. */
  hosts: string[];
  ms: number;
}

/** Thrown when a host stops answering in the middle of a check (after the SSH host's own reconnect). */
export class HostLost extends Error {}

/**
 * Evidence as it is kept and shown: the host it came from, and every host-derived text stripped of terminal
 * controls. A command needs no stripping: shownCommand() wrote it visibly, so it stays exactly what ran.
 */
function clean(evidence: Evidence[], results: CommandResult[], fallbackHost: string): Evidence[] {
  return evidence.map((e) => {
    const ran = e.command !== undefined ? results.find((r) => shownCommand(r.argv) === e.command) : undefined;
    return {
      ...e,
      host: e.host ?? ran?.host ?? fallbackHost,
      ...(e.probe !== undefined ? { probe: stripControl(e.probe) } : {}),
      lines: e.lines.map(stripControl),
      ...(e.note !== undefined ? { note: stripControl(e.note) } : {}),
    };
  });
}

/** The address nginx dials, when the backend is reached over TCP; null when it is a local unix socket. */
function backendAddress(facts: KnownFacts): string | null {
  if (!facts['upstream.target']) return null;
  const dialled = dialledAddress(facts);
  return dialled?.kind === 'tcp' ? dialled.host : null;
}

/** The host a command runs on: the proxy, or the backend's own box. With ask false, never asks the person. */
async function hostFor(spec: CommandSpec, facts: KnownFacts, hosts: HostSet, stepOnBackend: boolean, ask = true): Promise<Host | null> {
  return spec.on === 'backend' || stepOnBackend ? hosts.backendFor(backendAddress(facts), ask) : hosts.proxy;
}

const cutShort = (spec: CommandSpec, error: unknown): CommandResult => ({ argv: spec.argv, stdout: '', stderr: '', code: null, ms: 0, failure: String((error as Error)?.message ?? error) });

async function runOne(spec: CommandSpec, facts: KnownFacts, hosts: HostSet, stepOnBackend: boolean, startedAt: number, signal?: AbortSignal): Promise<CommandResult> {
  const host = await hostFor(spec, facts, hosts, stepOnBackend);
  if (!host) return { argv: spec.argv, stdout: '', stderr: '', code: null, ms: 0, failure: NO_BACKEND_VIEW };
  // Asked already by an earlier step or the look-ahead: no round trip of its own.
  host.promote?.(spec);
  const known = await hosts.cache.lookup(host.label, spec, startedAt);
  if (known) return { ...known, argv: spec.argv, host: host.label };
  const running = host.run(spec, signal).catch((error: unknown) => cutShort(spec, error));
  hosts.cache.put(host.label, spec, running);
  const result = await running;
  if (result.failure?.startsWith('dropped')) throw new HostLost(`lost the connection to ${host.label}: ${result.failure.replace(/^dropped:?\s*/, '')}`);
  return { ...result, host: host.label };
}

/**
 * Runs a command ahead on its host, or joins its run there that is under way or answered; null when its
 * host is not known without asking the person.
 */
async function runOneAhead(spec: CommandSpec, facts: KnownFacts, hosts: HostSet, onBackend: boolean): Promise<CommandResult | null> {
  const host = await hostFor(spec, facts, hosts, onBackend, false);
  if (!host) return null;
  let running = hosts.cache.running(host.label, spec);
  if (!running) {
    running = host.run({ ...spec, early: true }).catch((error: unknown) => cutShort(spec, error));
    hosts.cache.put(host.label, spec, running, true);
  }
  return { ...(await running), argv: spec.argv, host: host.label };
}

/** A check's rounds run ahead one after another, each asked once the one before answered; stops at a command cut short. */
async function followAhead({ check, onBackend }: AheadChain, facts: KnownFacts, hosts: HostSet): Promise<void> {
  const done: CommandResult[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const batch = check.plan(facts, done);
    if (!batch.length) return;
    const results = await Promise.all(batch.map((spec) => runOneAhead(spec, facts, hosts, onBackend)));
    if (results.some((r) => r === null || (r.failure !== undefined && r.failure !== 'not-found'))) return;
    done.push(...(results as CommandResult[]));
  }
}

/**
 * Starts the commands steps ahead will ask for (see look-ahead.ts) without waiting for them; their
 * results wait in the session's cache. A backend's box is used only when known without asking.
 */
export function runAhead(ahead: { commands: readonly AheadCommand[]; chains: readonly AheadChain[] }, facts: KnownFacts, hosts: HostSet): void {
  hosts.warm();
  for (const { spec, onBackend } of ahead.commands) void runOneAhead(spec, facts, hosts, onBackend).catch(() => undefined);
  for (const chain of ahead.chains) void followAhead(chain, facts, hosts).catch(() => undefined);
}

/**
 * Runs one check: its command batches in order, each batch in parallel (across hosts too), then its
 * parser. Evidence is stripped of terminal control sequences and labelled with the host it came from.
 */
export async function runCheck(check: Check, facts: KnownFacts, hosts: HostSet, options: { signal?: AbortSignal; onBackend?: boolean } = {}): Promise<CheckRun> {
  const started = performance.now();
  const done: CommandResult[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const batch = check.plan(facts, done);
    if (!batch.length) break;
    done.push(...(await Promise.all(batch.map((spec) => runOne(spec, facts, hosts, options.onBackend ?? false, started, options.signal)))));
    options.signal?.throwIfAborted();
  }
  const result = check.interpret(facts, done);
  const ranOn = [...new Set(done.map((r) => r.host).filter((h): h is string => h !== undefined))];
  const labels = ranOn.length ? ranOn : [hosts.proxy.label];
  const ask = result.ask && {
    question: stripControl(result.ask.question),
    alternatives: result.ask.alternatives.map((a) => ({ ...a, label: stripControl(a.label), summary: stripControl(a.summary) })),
  };
  return {
    result: { ...result, evidence: clean(result.evidence, done, labels[0] as string), summary: stripControl(result.summary), ...(ask ? { ask } : {}) },
    commands: done,
    hosts: labels,
    ms: Math.round(performance.now() - started),
  };
}
