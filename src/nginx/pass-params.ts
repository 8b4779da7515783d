/**
 * The parameters nginx sends a FastCGI, uwsgi or SCGI backend with the request (`fastcgi_param NAME VALUE
 * [if_not_empty]`), evaluated for one request, and the request headers it adds as HTTP_* params. Pure.
 */
import type { Directive } from './config-types.js';
import type { PassParam } from './route-types.js';
import { children } from './server-select.js';
import { evaluate, Undecided, type Scope } from './variables.js';

/**
 * The `${module}_param` lines of the innermost level of the chain that writes any: nginx inherits a level's
 * params only when the inner level writes none at all.
 */
export function passParams(chain: readonly Directive[], module: string, scope: Scope): PassParam[] {
  let lines: Directive[] = [];
  for (let i = chain.length - 1; i >= 0 && lines.length === 0; i--) lines = children(chain[i], `${module}_param`);
  // The probe sends no body, so $content_length and $content_type are empty as nginx sets them for such a request.
  const probeScope: Scope = { ...scope, derived: (name) => (name === 'content_length' ? '' : scope.derived(name)) };
  return lines.map((d) => {
    const written = d.args[1] ?? '';
    const value = evaluate(probeScope, written);
    return {
      name: d.args[0] ?? '',
      written,
      value: value instanceof Undecided ? null : value,
      ...(value instanceof Undecided ? { undecided: value.what } : {}),
      ifNotEmpty: d.args[2] === 'if_not_empty',
      file: d.file,
      line: d.line,
    };
  });
}

/** A request header as nginx passes it to FastCGI: "X-Forwarded-For" -> "HTTP_X_FORWARDED_FOR". */
export function headerParamName(header: string): string {
  return `HTTP_${header.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * What nginx sends, name by name: every param line (an undecided value sent empty, an empty if_not_empty
 * one left out), then each request header as HTTP_* unless a param of that name is written or
 * `${module}_pass_request_headers off`.
 */
export function paramsToSend(params: readonly PassParam[], headers: Readonly<Record<string, string>>, passHeaders: boolean): [string, string][] {
  const out: [string, string][] = [];
  for (const p of params) {
    const value = p.value ?? '';
    if (p.ifNotEmpty && value === '') continue;
    out.push([p.name, value]);
  }
  if (!passHeaders) return out;
  const written = new Set(out.map(([name]) => name));
  for (const [header, value] of Object.entries(headers)) {
    const name = headerParamName(header);
    if (!written.has(name)) out.push([name, value]);
  }
  return out;
}
