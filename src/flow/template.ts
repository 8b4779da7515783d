import type { FactKey, KnownFacts } from '../facts/keys.js';

const PLACEHOLDER = /\{\{\s*(\.\.\.)?([a-zA-Z][\w.]*)\s*\}\}/g;

/** The fact keys a template names. */
export function templateKeys(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[2] as string);
}

export class TemplateError extends Error {}

function show(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.join('; ');
  if (value && typeof value === 'object' && 'file' in value && 'line' in value) {
    const place = value as { file: string; line: number };
    return `${place.file}:${place.line}`;
  }
  throw new TemplateError(`fact ${key} cannot be written into text`);
}

function lookup(facts: KnownFacts, key: string): unknown {
  const value = facts[key as FactKey];
  if (value === undefined || value === null) throw new TemplateError(`fact ${key} is not known`);
  return value;
}

/** Fills a template from facts. Values are inserted as they are: quoting is the shell layer's job. */
export function render(template: string, facts: KnownFacts): string {
  return template.replace(PLACEHOLDER, (_whole, _spread, key: string) => show(key, lookup(facts, key)));
}

/** Fills an argv template; an element that is exactly `{{...key}}` splices a list fact. */
export function renderArgv(argv: readonly string[], facts: KnownFacts): string[] {
  return argv.flatMap((part) => {
    const spread = /^\{\{\s*\.\.\.([a-zA-Z][\w.]*)\s*\}\}$/.exec(part);
    if (!spread) return [render(part, facts)];
    const key = spread[1] as string;
    const value = lookup(facts, key);
    if (!Array.isArray(value)) throw new TemplateError(`fact ${key} is not a list`);
    return value.map((item) => show(key, item));
  });
}
