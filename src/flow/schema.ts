import { z } from 'zod';
import { CAUSES } from '../causes.js';

const nodeId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'node ids are lower-case words joined by dashes');
const text = z.string().trim().min(1);

const commandSchema = z.strictObject({
  /** argv, each element a template; `{{...key}}` alone splices a list fact. */
  run: z.array(z.string()).min(1),
  why: text,
});

export const stepSchema = z.strictObject({
  title: text,
  why: text,
  check: z.string().min(1),
  /** Which host's view this step needs: nginx's host (proxy) or the backend's. */
  on_host: z.enum(['proxy', 'backend']).optional(),
  on: z.record(z.string(), nodeId),
  /** What each outcome means, in plain words, shown when the branch is taken. */
  means: z.record(z.string(), text).optional(),
});

export const fixSchema = z.strictObject({
  title: text,
  why: text,
  cause: z.enum(CAUSES),
  /** A named planner in src/fixes that turns facts into commands and config edits. */
  plan: z.string().min(1).optional(),
  commands: z.array(commandSchema).optional(),
  /** Shown after the fix: a caveat or what to watch. */
  caution: text.optional(),
  verify: z.enum(['request']).default('request'),
});

export const endSchema = z.strictObject({
  title: text,
  why: text,
  end: z.enum(['escalate', 'healthy']),
  cause: z.enum(CAUSES).optional(),
  /** What to collect next, for a person to read. */
  collect: z.array(text).optional(),
});

export const flowSchema = z.strictObject({
  id: nodeId,
  title: text,
  start: nodeId,
  nodes: z.record(nodeId, z.unknown()),
});

export type StepNode = z.infer<typeof stepSchema> & { kind: 'step'; id: string };
export type FixNode = z.infer<typeof fixSchema> & { kind: 'fix'; id: string };
export type EndNode = z.infer<typeof endSchema> & { kind: 'end'; id: string };
export type FlowNode = StepNode | FixNode | EndNode;

export interface Flow {
  id: string;
  title: string;
  start: string;
  nodes: Record<string, FlowNode>;
  /** Where each node (and each of its keys) is written, for errors: "nodes.x.on.y" -> line. */
  lines: Map<string, number>;
  file: string;
}
