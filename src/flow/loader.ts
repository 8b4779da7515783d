import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { readBounded, UnreadableFile } from '../read-bounded.js';
import { FlowError } from './loader-error.js';
import { endSchema, fixSchema, flowSchema, stepSchema, type Flow, type FlowNode } from './schema.js';
import { ALIAS_NODE_LIMIT, aliasOverflowAt } from './yaml-aliases.js';

export { FlowError };

/** The largest flow file read: 4 MiB (the shipped flow is about 60 KB). */
export const FLOW_SIZE_LIMIT = 4 * 1024 * 1024;

export function loadFlowFile(file: string, limit = FLOW_SIZE_LIMIT): Flow {
  let source: string;
  try {
    source = readBounded(file, limit, 'the flow');
  } catch (error) {
    if (!(error instanceof UnreadableFile)) throw error;
    throw new FlowError(file, null, `cannot read the flow: ${error.problem}`);
  }
  return parseFlow(source, file);
}

/**
 * Parses and checks a flow's text, every problem as a FlowError with its file and line. Linear in the
 * file's size: duplicate keys are found by collectLines (the yaml package's own check compares each key with
 * every key before it), and aliases are measured before they are expanded.
 */
export function parseFlow(source: string, file: string): Flow {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? null;
    throw new FlowError(file, line, first.message.split('\n')[0] ?? 'invalid YAML');
  }
  const overflow = aliasOverflowAt(doc);
  if (overflow !== null) {
    throw new FlowError(
      file,
      lineCounter.linePos(overflow).line,
      `YAML aliases here would expand to more than ${ALIAS_NODE_LIMIT} nodes (an alias that repeats others, "billion laughs"); write the values out or use fewer aliases`,
    );
  }
  const lines = new Map<string, number>();
  const duplicate = collectLines(doc.contents, '', lines, lineCounter);
  if (duplicate) throw new FlowError(file, duplicate.line, `the key ${duplicate.key} is given twice in one mapping`);
  const lineOf = (path: readonly PropertyKey[]) => nearestLine(lines, path.map(String));

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    // aliasOverflowAt has bounded the aliases; what is left is a value JavaScript cannot hold.
    throw new FlowError(file, null, `the YAML cannot be read: ${(error as Error).message}`);
  }
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

/** Records the line of every key and item by its dotted path; the first key given twice in one mapping, if any. */
function collectLines(node: YamlNode | null, path: string, lines: Map<string, number>, counter: LineCounter): { key: string; line: number } | null {
  if (!node) return null;
  if (node.range) lines.set(path, counter.linePos(node.range[0]).line);
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = path ? `${path}.${key}` : key;
      const keyNode = pair.key as YamlNode | null;
      const keyLine = keyNode?.range ? counter.linePos(keyNode.range[0]).line : null;
      if (seen.has(key)) return { key, line: keyLine ?? 0 };
      seen.add(key);
      if (keyLine !== null) lines.set(child, keyLine);
      if (pair.value && typeof pair.value === 'object' && 'range' in pair.value) {
        const inner = collectLines(pair.value as YamlNode, child, lines, counter);
        if (inner) return inner;
        if (keyLine !== null) lines.set(child, keyLine);
      }
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const inner = collectLines(item as YamlNode, `${path}.${index}`, lines, counter);
      if (inner) return inner;
    }
  }
  return null;
}

/** The line of the deepest part of the path that exists in the file. */
export function nearestLine(lines: Map<string, number>, path: readonly string[]): number | null {
  for (let length = path.length; length >= 0; length--) {
    const line = lines.get(path.slice(0, length).join('.'));
    if (line !== undefined) return line;
  }
  return null;
}
