import { need } from '../facts/need.js';
import type { KnownFacts } from '../facts/keys.js';
import type { Directive } from '../nginx/config-types.js';
import { walk } from '../nginx/walk.js';
import type { PlannedCommand } from './plan.js';

/** The directive written at this place; several can share a line, so the caller says which it wants. */
export function directiveAt(facts: KnownFacts, place: { file: string; line: number }, wanted: (d: Directive) => boolean): Directive | null {
  const config = need(facts, 'nginx.config');
  for (const file of config.files) {
    if (file.file !== place.file) continue;
    for (const d of walk(file.parsed)) if (d.line === place.line && wanted(d)) return d;
  }
  return null;
}

function word(arg: string): string {
  return /^[^\s;{}'"#\\]+$/.test(arg) && arg !== '' ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

/** A directive written back as nginx reads it. */
export function directiveText(name: string, args: string[]): string {
  return `${[name, ...args.map(word)].join(' ')};`;
}

/** Test the whole config, then reload (never restart: a reload keeps open connections). */
export function testAndReload(facts: KnownFacts): PlannedCommand[] {
  return [
    { argv: need(facts, 'nginx.test'), why: 'check the whole configuration before nginx uses it', durable: true },
    { argv: need(facts, 'nginx.reload'), why: 'reload nginx: new workers take the new config, open connections finish', durable: true },
  ];
}
