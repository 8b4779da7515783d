/**
 * The file `--record` writes and `--replay` and `practice` read: every command each check ran, per host
 * role, with its output, exit code and time; the path the session took; and what it concluded.
 * Versioned: a reader refuses a version it does not know rather than misreading it.
 */
import { z } from 'zod';
import { BadInput } from '../errors.js';
import { PROXY_ROLE, roleNameProblem } from '../roles.js';
import type { Redactions } from './redact.js';

export const RECORDING_FORMAT = 'badgateway-recording';
export const RECORDING_VERSION = 1;

const commandSchema = z.object({
  /** Order of the call on this host, from 0. */
  seq: z.number().int().min(0),
  /** When it started, in ms after the session started. */
  at: z.number().min(0),
  argv: z.array(z.string()).min(1),
  stdin: z.string().optional(),
  on: z.literal('backend').optional(),
  stdout: z.string(),
  stderr: z.string(),
  code: z.number().int().nullable(),
  ms: z.number().min(0),
  failure: z.string().optional(),
});

const stepSchema = z.object({
  node: z.string(),
  title: z.string(),
  host: z.string(),
  outcome: z.string(),
  summary: z.string(),
  next: z.string(),
  ms: z.number(),
  /** The person chose another reading of the evidence than the check's own (the wizard's question). */
  answer: z.object({ outcome: z.string(), label: z.string() }).optional(),
});

const promptSchema = z.object({
  kind: z.enum(['choice', 'secret']),
  question: z.string(),
  /** The value chosen; for a secret only whether one was given, never the text. */
  answer: z.string().nullable(),
});

const roleSchema = z.string().superRefine((role, ctx) => {
  const problem = roleNameProblem(role);
  if (problem) ctx.addIssue({ code: 'custom', message: `the role ${JSON.stringify(role)} cannot name a host: ${problem}` });
});

const hostSchema = z.object({ role: roleSchema, label: z.string() }).passthrough();

export const recordingSchema = z.object({
  format: z.literal(RECORDING_FORMAT),
  version: z.literal(RECORDING_VERSION),
  badgateway: z.string(),
  flow: z.string(),
  recordedAt: z.string(),
  /** sinceMs: --since, when given (history reads no further back). */
  inputs: z.object({ url: z.string().nullable(), sinceMs: z.number().int().positive().optional() }),
  /** One host per role, one of them the proxy (where nginx runs). */
  hosts: z
    .array(hostSchema)
    .min(1)
    .superRefine((hosts, ctx) => {
      const roles = hosts.map((h) => h.role);
      const twice = roles.find((role, i) => roles.indexOf(role) !== i);
      if (twice) ctx.addIssue({ code: 'custom', message: `the role ${twice} is given to two hosts` });
      if (!roles.includes(PROXY_ROLE)) ctx.addIssue({ code: 'custom', message: `no host has the role ${PROXY_ROLE} (the box where nginx runs)` });
    }),
  /** Commands by host role, in the order they were started on that host. */
  commands: z.record(z.string(), z.array(commandSchema)),
  trail: z.array(stepSchema),
  prompts: z.array(promptSchema),
  notes: z.array(z.string()),
  diagnosis: z.object({ node: z.string().nullable(), cause: z.string().nullable(), title: z.string() }),
  error: z.string().nullable(),
  redactions: z.object({ privateKeys: z.number(), headers: z.number(), urlPasswords: z.number(), typedSecrets: z.number() }),
  /** Set by scripts/record-incidents.ts for the incidents `badgateway practice` offers. */
  incident: z.object({ id: z.string(), title: z.string(), story: z.string() }).optional(),
});

export type Recording = z.infer<typeof recordingSchema>;
export type RecordedCommand = z.infer<typeof commandSchema>;
export type RecordedStep = z.infer<typeof stepSchema>;
export type RecordedPrompt = z.infer<typeof promptSchema>;
export type { Redactions };

/** A recording that cannot be read or replayed by this version: exit 2. */
export class RecordingError extends BadInput {
  override name = 'RecordingError';
}

/** A recording is a few levels deep; anything much deeper is not one (and would overflow whatever recursed into it). */
const MAX_DEPTH = 32;

/** Whether a parsed JSON value nests deeper than `limit`, found with a stack of our own (never by recursion). */
function nestsDeeper(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Reads a recording's text; a clear error for anything that is not one this version can replay. */
export function parseRecording(text: string, source = 'the recording'): Recording {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new RecordingError(`${source} is not JSON: ${(e as Error).message}`);
  }
  const head = data as { format?: unknown; version?: unknown } | null;
  if (!head || head.format !== RECORDING_FORMAT) throw new RecordingError(`${source} is not a badgateway recording (no "format": "${RECORDING_FORMAT}")`);
  if (head.version !== RECORDING_VERSION) throw new RecordingError(`${source} is recording format version ${String(head.version)}; this badgateway reads version ${RECORDING_VERSION}`);
  if (nestsDeeper(data, MAX_DEPTH)) throw new RecordingError(`${source} is damaged: its JSON nests deeper than ${MAX_DEPTH} levels, which no recording does`);
  // The roles commands are filed under, checked here: zod skips a "__proto__" key (JSON.parse keeps it as an
  // own key) without a word, and names no reason for a key it refuses.
  const commands = (data as { commands?: unknown }).commands;
  for (const role of commands && typeof commands === 'object' ? Object.keys(commands) : []) {
    const problem = roleNameProblem(role);
    if (problem) throw new RecordingError(`${source} is damaged: commands: the role ${JSON.stringify(role)} cannot name a host: ${problem}`);
  }
  const parsed = recordingSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RecordingError(`${source} is damaged: ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** How a replay finds a command: its argv and standard input, exactly. */
export function commandKey(argv: readonly string[], stdin?: string): string {
  return JSON.stringify(stdin === undefined ? [argv] : [argv, stdin]);
}
