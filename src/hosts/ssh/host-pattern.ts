/** OpenSSH pattern lists (`*`, `?`, `!negation`, comma-separated), as known_hosts uses them. Pure. */

function wildcard(pattern: string, text: string): boolean {
  // Iterative glob with backtracking to the last '*': linear enough and never recursive.
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * 1 when a positive pattern matches, -1 when a negated one does (which vetoes the whole list), 0 when
 * none does. Case-insensitive, as ssh lowercases host names before matching.
 */
export function matchPatternList(list: string, name: string): 1 | 0 | -1 {
  const text = name.toLowerCase();
  let matched: 1 | 0 = 0;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!pattern || !wildcard(pattern, text)) continue;
    if (negated) return -1;
    matched = 1;
  }
  return matched;
}
