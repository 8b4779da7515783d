import type { Directive } from './config-types.js';
import { compilePcre, type PcreMatch } from './pcre.js';
import { children } from './server-select.js';

export interface LocationSpec {
  directive: Directive;
  modifier: '' | '=' | '^~' | '~' | '~*';
  name: string;
}

export function locationSpec(d: Directive): LocationSpec | null {
  let [modifier = '', name = ''] = d.args;
  if (d.args.length === 1) {
    const attached = /^(=|\^~|~\*|~)?(.*)$/s.exec(modifier)!;
    modifier = attached[1] ?? '';
    name = attached[2]!;
  }
  if (name.startsWith('@') || !['', '=', '^~', '~', '~*'].includes(modifier)) return null;
  return { directive: d, modifier: modifier as LocationSpec['modifier'], name };
}

export const describeLocation = (spec: LocationSpec): string => `location ${spec.modifier ? `${spec.modifier} ` : ''}${spec.name}`;

/** The directives that hand a request to a backend; a prefix location ending in "/" with one redirects "/x" to "/x/". */
export const PASS_DIRECTIVES = ['proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass', 'memcached_pass'] as const;

const autoRedirects = (s: LocationSpec): boolean =>
  (s.modifier === '' || s.modifier === '^~' || s.modifier === '=') && s.name.endsWith('/') && (s.directive.block ?? []).some((d) => (PASS_DIRECTIVES as readonly string[]).includes(d.directive));

export interface LocationFound {
  /** The matched locations from outer to inner (nested ones after their parent). */
  path: LocationSpec[];
  /** nginx answers 301 to uri + "/" because of this location (its name is the URI plus a slash). */
  autoRedirect?: LocationSpec;
  /** The captures of the regex location that matched, if one did. */
  captures?: PcreMatch;
  /** Regex locations that could not be evaluated on the way, with why. */
  unevaluated: string[];
  /** nginx stops looking here (an exact match, a regex match or an automatic redirect): the parent's regexes are not tried. */
  final: boolean;
}

/** nginx's ngx_http_core_find_location, level by level: exact, automatic redirect, longest prefix (and its nested ones), then regexes in order. */
export function findLocation(parent: Directive, uri: string): LocationFound {
  const specs = children(parent, 'location')
    .map(locationSpec)
    .filter((s): s is LocationSpec => s !== null);
  const unevaluated: string[] = [];
  const exact = specs.find((s) => s.modifier === '=' && s.name === uri);
  if (exact) return { path: [exact], unevaluated, final: true };
  // A prefix location named exactly like the URI takes it before the redirect is considered.
  const samePrefix = specs.some((s) => (s.modifier === '' || s.modifier === '^~') && s.name === uri);
  const redirect = samePrefix ? undefined : specs.find((s) => autoRedirects(s) && s.name === `${uri}/`);
  if (redirect) return { path: [redirect], autoRedirect: redirect, unevaluated, final: true };
  let path: LocationSpec[] = [];
  let noRegex = false;
  const prefix = specs
    .filter((s) => (s.modifier === '' || s.modifier === '^~') && uri.startsWith(s.name))
    .reduce<LocationSpec | null>((best, s) => (!best || s.name.length > best.name.length ? s : best), null);
  if (prefix) {
    noRegex = prefix.modifier === '^~';
    const nested = findLocation(prefix.directive, uri);
    unevaluated.push(...nested.unevaluated);
    path = [prefix, ...nested.path];
    if (nested.final) return { ...nested, path, unevaluated };
  }
  if (!noRegex) {
    for (const s of specs.filter((x) => x.modifier === '~' || x.modifier === '~*')) {
      const regex = compilePcre(s.name, s.modifier === '~*');
      if (!regex.ok) {
        unevaluated.push(`${describeLocation(s)} (${s.directive.file}:${s.directive.line}): ${regex.reason}`);
        continue;
      }
      const match = regex.exec(uri);
      if (match) {
        const nested = findLocation(s.directive, uri);
        unevaluated.push(...nested.unevaluated);
        return { path: [s, ...nested.path], captures: nested.captures ?? match, ...(nested.autoRedirect ? { autoRedirect: nested.autoRedirect } : {}), unevaluated, final: true };
      }
    }
  }
  return { path, unevaluated, final: false };
}

/** `location @name` of the server. */
export function namedLocation(server: Directive, name: string): Directive | null {
  return children(server, 'location').find((d) => d.args.length === 1 && d.args[0] === name) ?? null;
}
