import { answer, isFinished, type Session } from '../engine/session.js';
import { HostSet, type BackendChooser } from '../hosts/host-set.js';
import { ReplayHost } from '../hosts/replay-host.js';
import { runCurrentStep } from '../drive/driver.js';
import type { Recording } from './recording.js';

/**
 * The hosts of a recorded session, with the roles they had: each answers from what it recorded. When
 * the person was asked which box is the backend's, the recorded answer is given again.
 */
export function replayHosts(recording: Recording): HostSet {
  // Own entries only: a role never reaches what every object inherits (the schema refuses such names too).
  const members = recording.hosts.map(({ role, label, ...details }) => ({
    role,
    host: new ReplayHost(label, Object.hasOwn(recording.commands, role) ? (recording.commands[role] ?? []) : [], details),
  }));
  const choose: BackendChooser = async (address, others) => {
    const said = [...recording.prompts].reverse().find((p) => p.kind === 'choice' && p.question.includes(` ${address},`));
    return others.find((m) => m.role === said?.answer) ?? null;
  };
  return new HostSet(members, choose);
}

/**
 * Where the person answered a step's question in the recorded session, the replay answers the same,
 * so it takes the same branch. Returns the session unchanged when there is nothing to answer.
 */
export function answerAsRecorded(session: Session, recording: Recording): Session {
  const index = session.trail.length - 1;
  const taken = session.trail[index];
  const said = recording.trail[index]?.answer;
  if (!taken?.ask || !said || recording.trail[index]?.node !== taken.node) return session;
  const alternatives = taken.ask.alternatives;
  const pick = alternatives.find((a) => a.outcome === said.outcome && a.label === said.label) ?? alternatives.find((a) => a.outcome === said.outcome);
  return pick ? answer(session, pick) : session;
}

const MAX_STEPS = 64;

/** Runs one step of a replay: the recorded outputs decide it, and a recorded answer is given again. */
export async function replayStep(session: Session, hosts: HostSet, recording: Recording): Promise<Session> {
  return answerAsRecorded(await runCurrentStep(session, hosts), recording);
}

/** Walks a recording to its end as --json does. */
export async function replayToEnd(session: Session, hosts: HostSet, recording: Recording): Promise<Session> {
  let current = session;
  for (let steps = 0; steps < MAX_STEPS && !isFinished(current); steps++) current = await replayStep(current, hosts, recording);
  return current;
}
