import type { Directive } from '../nginx/config-types.js';
import type { Route } from '../nginx/route.js';
import { directiveText } from './nginx-edit.js';
import type { ConfigEdit } from './plan.js';

export interface Setting {
  directive: string;
  args: string[];
  why: string;
}

/** The line that opens a block, as nginx reads it: `location /api/ {`. */
export function openingText(block: Directive): string {
  return `${[block.directive, ...block.args].join(' ')} {`;
}

/**
 * Config edits that give one location these settings and leave every other location alone: a directive the
 * location itself writes is changed where it is; anything it inherits (from server{} or http{}) or leaves to
 * nginx's default is added right after the location's opening line, which overrides it there only.
 */
export function setInLocation(route: Route, settings: readonly Setting[]): ConfigEdit[] {
  const block = route.location ?? route.server;
  const own = block.block ?? [];
  const edits: ConfigEdit[] = [];
  const added: Setting[] = [];
  for (const s of settings) {
    const written = own.find((d) => d.directive === s.directive);
    if (written) {
      edits.push({ file: written.file, line: written.line, before: directiveText(written.directive, written.args), after: directiveText(s.directive, s.args), why: s.why });
    } else {
      added.push(s);
    }
  }
  if (added.length) {
    const opening = openingText(block);
    edits.push({
      file: block.file,
      line: block.line,
      before: opening,
      after: [opening, ...added.map((s) => `    ${directiveText(s.directive, s.args)}`)].join('\n'),
      why: added.map((s) => `${s.directive}: ${s.why}`).join('; '),
    });
  }
  return edits;
}
