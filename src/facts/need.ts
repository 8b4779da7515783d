import type { FactKey, KnownFacts } from './keys.js';

/** Thrown by a check's plan or interpret when a fact it needs is missing: a bug in the flow. */
export function need<K extends FactKey>(facts: KnownFacts, key: K): NonNullable<KnownFacts[K]> {
  const value = facts[key];
  if (value === undefined || value === null) throw new Error(`fact ${key} is not known yet`);
  return value as NonNullable<KnownFacts[K]>;
}
