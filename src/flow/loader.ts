import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { FlowError } from './loader-error.js';
import { endSchema, fixSchema, flowSchema, stepSchema, type Flow, type FlowNode } from './schema.js';

export { FlowError };

export function loadFlowFile(file: string): Flow {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FlowError(file, null, `cannot read the flow: ${(error as Error).message}`);
  }
  return parseFlow(source, file);
}

export function parseFlow(source: string, file: string): Flow {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? null;
    throw new FlowError(file, line, first.message.split('\n')[0] ?? 'invalid YAML');
  }
  const lines = new Map<string, number>();
  collectLines(doc.contents, '', lines, lineCounter);
  const lineOf = (path: readonly PropertyKey[]) => nearestLine(lines, path.map(String));

  const raw = doc.toJS() as unknown;
  const top = flowSchema.safeParse(raw);
  if (!top.success) throw zodFailure(file, top.error, [], lineOf);

  const nodes: Record<string, FlowNode> = {};
  for (const [id, body] of Object.entries(top.data.nodes)) {
    nodes[id] = parseNode(id, body, file, lineOf);
  }
  return { id: top.data.id, title: top.data.title, start: top.data.start, nodes, lines, file };
}

function parseNode(id: string, body: unknown, file: string, lineOf: (path: readonly PropertyKey[]) => number | null): FlowNode {
  const at = ['nodes', id];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FlowError(file, lineOf(at), `node ${id} must be a mapping`);
  }
  const keys = Object.keys(body);
  if (keys.includes('check')) return parsed(stepSchema, 'step');
  if (keys.includes('end')) return parsed(endSchema, 'end');
  if (keys.includes('cause')) return parsed(fixSchema, 'fix');
  throw new FlowError(file, lineOf(at), `node ${id} needs check: (a step), cause: (a fix) or end: (an end)`);

  function parsed<S extends z.ZodType<object>>(schema: S, kind: FlowNode['kind']): FlowNode {
    const result = schema.safeParse(body);
    if (!result.success) throw zodFailure(file, result.error, at, lineOf);
    return { ...(result.data as object), kind, id } as FlowNode;
  }
}

function zodFailure(file: string, error: z.ZodError, prefix: readonly PropertyKey[], lineOf: (path: readonly PropertyKey[]) => number | null): FlowError {
  const issue = error.issues[0];
  if (!issue) return new FlowError(file, null, 'invalid flow');
  const extra = issue.code === 'unrecognized_keys' ? [issue.keys[0] as string] : [];
  const path = [...prefix, ...issue.path, ...extra];
  const where = path.length ? `${path.join('.')}: ` : '';
  return new FlowError(file, lineOf(path), `${where}${issue.message}`);
}

function collectLines(node: YamlNode | null, path: string, lines: Map<string, number>, counter: LineCounter): void {
  if (!node) return;
  if (node.range) lines.set(path, counter.linePos(node.range[0]).line);
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = path ? `${path}.${key}` : key;
      const keyNode = pair.key as YamlNode | null;
      if (keyNode?.range) lines.set(child, counter.linePos(keyNode.range[0]).line);
      if (pair.value && typeof pair.value === 'object' && 'range' in pair.value) {
        collectLines(pair.value as YamlNode, child, lines, counter);
        if (keyNode?.range) lines.set(child, counter.linePos(keyNode.range[0]).line);
      }
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => collectLines(item as YamlNode, `${path}.${index}`, lines, counter));
  }
}

/** The line of the deepest part of the path that exists in the file. */
export function nearestLine(lines: Map<string, number>, path: readonly string[]): number | null {
  for (let length = path.length; length >= 0; length--) {
    const line = lines.get(path.slice(0, length).join('.'));
    if (line !== undefined) return line;
  }
  return null;
}
