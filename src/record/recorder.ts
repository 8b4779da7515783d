import { currentNode, factsOf, isFinished, type Session } from '../engine/session.js';
import { render } from '../flow/template.js';
import type { HostSet } from '../hosts/host-set.js';
import { RecordingHost } from '../hosts/recording-host.js';
import type { Asker } from '../store/prompts.js';
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordedCommand, type RecordedPrompt, type Recording } from './recording.js';
import { noRedactions, redactArgv, redactText, type Redactions } from './redact.js';

export interface RecordedHostInfo {
  role: string;
  label: string;
  [detail: string]: unknown;
}

function filled(template: string, session: Session): string {
  try {
    return render(template, factsOf(session));
  } catch {
    return template;
  }
}

/**
 * Keeps a session while it runs: wraps each host of the HostSet in a RecordingHost and each question
 * put to the person, then turns it all into a Recording with the secrets taken out.
 */
export class Recorder {
  private readonly started = performance.now();
  private readonly recording: { role: string; host: RecordingHost }[] = [];
  private readonly prompts: RecordedPrompt[] = [];
  /** Secrets the person typed (sudo passwords, passphrases): kept in memory only, to scrub them. */
  private readonly typed: string[] = [];

  constructor(private readonly version: string) {}

  /** The session's hosts, each recording what it runs. */
  wrap(hosts: HostSet): HostSet {
    return hosts.map((member) => {
      const host = new RecordingHost(member.host, () => performance.now() - this.started);
      this.recording.push({ role: member.role, host });
      return host;
    });
  }

  /** The person's answers are kept (the text of a secret never is). */
  asker(asker: Asker): Asker {
    return {
      choose: async (question, options) => {
        const value = await asker.choose(question, options);
        this.prompts.push({ kind: 'choice', question, answer: value });
        return value;
      },
      secret: async (question) => {
        const text = await asker.secret(question);
        if (text) this.typed.push(text);
        this.prompts.push({ kind: 'secret', question, answer: text ? '(given, not recorded)' : null });
        return text;
      },
      tell: (message) => asker.tell(message),
    };
  }

  /** The recording of the session as it stands: every command so far, the trail, the conclusion. */
  finish(session: Session, info: { hosts: RecordedHostInfo[]; notes?: string[]; error?: string | null }): Recording {
    const counts: Redactions = noRedactions();
    const text = (value: string) => redactText(value, counts, this.typed);
    const commands: Record<string, RecordedCommand[]> = {};
    for (const { role, host } of this.recording) {
      commands[role] = host.log.map((entry): RecordedCommand => {
        const result = entry.result ?? { stdout: '', stderr: '', code: null, ms: 0, failure: 'unfinished' };
        return {
          seq: entry.seq,
          at: entry.at,
          argv: redactArgv(entry.spec.argv, counts, this.typed),
          ...(entry.spec.stdin !== undefined ? { stdin: text(entry.spec.stdin) } : {}),
          ...(entry.spec.on ? { on: entry.spec.on } : {}),
          stdout: text(result.stdout),
          stderr: text(result.stderr),
          code: result.code,
          ms: result.ms,
          ...(result.failure !== undefined ? { failure: text(result.failure) } : {}),
        };
      });
    }
    const error = info.error ?? null;
    const end = !error && isFinished(session) ? currentNode(session) : null;
    const url = session.inputs['request.url'];
    const since = session.inputs['history.sinceMs'];
    return {
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      badgateway: this.version,
      flow: session.flow.id,
      recordedAt: new Date().toISOString(),
      inputs: { url: typeof url === 'string' ? text(url) : null, ...(typeof since === 'number' ? { sinceMs: since } : {}) },
      hosts: info.hosts.map((h) => JSON.parse(text(JSON.stringify(h))) as RecordedHostInfo),
      commands,
      trail: session.trail.map((step) => ({
        node: step.node,
        title: session.flow.nodes[step.node]?.title ?? step.node,
        host: step.host,
        outcome: step.outcome,
        summary: text(step.summary),
        next: step.next,
        ms: step.ms,
        ...(step.answered ? { answer: { outcome: step.answered.outcome, label: text(step.answered.label) } } : {}),
      })),
      prompts: this.prompts.map((p) => ({ ...p, question: text(p.question), answer: p.kind === 'choice' && p.answer !== null ? text(p.answer) : p.answer })),
      notes: (info.notes ?? []).map(text),
      diagnosis: {
        node: end?.id ?? null,
        cause: end && end.kind !== 'step' && !(end.kind === 'end' && end.end === 'healthy') ? (end.cause ?? 'unknown') : null,
        title: end ? text(filled(end.title, session)) : error ? 'the diagnosis could not finish' : 'the diagnosis did not finish',
      },
      error: error === null ? null : text(error),
      redactions: counts,
    };
  }
}
