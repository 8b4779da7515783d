/**
 * Which paths nginx would load through its `include` directives. A candidate or temporary file that
 * badgateway puts next to a config file must never be one of them, or a reload could read it. Pure.
 */
import type { NginxConfig } from '../../nginx/config-types.js';
import { walk } from '../../nginx/walk.js';

/** Every include pattern of the config, absolute: relative ones are read from the main file's folder. */
export function includePatterns(config: NginxConfig, confDir: string): string[] {
  const found = new Set<string>();
  for (const file of config.files) {
    for (const d of walk(file.parsed)) {
      const pattern = d.directive === 'include' ? d.args[0] : undefined;
      if (pattern) found.add(pattern.startsWith('/') ? pattern : `${confDir.replace(/\/+$/, '')}/${pattern}`);
    }
  }
  return [...found];
}

/** One path segment against one pattern segment: `*`, `?` and `[...]` as glob(3) reads them. */
function segmentMatches(pattern: string, name: string): boolean {
  // glob(3) without GLOB_PERIOD, as nginx calls it: a leading dot is matched only by a dot.
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else source += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(name);
}

/** Does this include pattern load this absolute path? */
export function globMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/').filter((s) => s !== '');
  const have = path.split('/').filter((s) => s !== '');
  if (want.length !== have.length) return false;
  return want.every((segment, i) => segmentMatches(segment, have[i] as string));
}

/** The include pattern that would load this path, if any. */
export function includedBy(patterns: readonly string[], path: string): string | null {
  return patterns.find((p) => globMatches(p, path)) ?? null;
}
