/**
 * How far a YAML document's aliases expand. An alias stands for a whole anchored node, and anchors may hold
 * aliases themselves, so a few lines can stand for billions of nodes ("billion laughs"). Counted here in one
 * pass over what is written (each anchored node's size once), before anything is expanded. Pure.
 */
import { isAlias, isCollection, isPair, type Document, type Node as YamlNode } from 'yaml';

/** At most this many nodes may be added by aliases in a flow file (the shipped flow's aliases add a few dozen). */
export const ALIAS_NODE_LIMIT = 100_000;

/**
 * The offset of the first alias at which the nodes aliases add, counted through the document in order,
 * pass `limit`; null when they stay within it.
 */
export function aliasOverflowAt(doc: Document, limit = ALIAS_NODE_LIMIT): number | null {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<unknown, YamlNode | undefined>();
  const sizes = new Map<unknown, number>();
  // A node's size with its aliases expanded. Every alias inside a node was resolved where it stands before
  // an alias to that node can follow it; one inside the very node it names never ends (infinite).
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = targets.get(node);
      return target ? sizeOf(target) : 1;
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, Number.POSITIVE_INFINITY);
    let size = 1;
    for (const item of node.items) size += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
    sizes.set(node, size);
    return size;
  };
  let added = 0;
  const walk = (node: unknown): number | null => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      targets.set(node, target);
      added += target ? sizeOf(target) : 0;
      return added > limit ? (node.range?.[0] ?? 0) : null;
    }
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor) anchors.set(anchor, node as YamlNode);
    if (!isCollection(node)) return null;
    for (const item of node.items) {
      const at = isPair(item) ? (walk(item.key) ?? walk(item.value)) : walk(item);
      if (at !== null) return at;
    }
    return null;
  };
  return walk(doc.contents);
}
