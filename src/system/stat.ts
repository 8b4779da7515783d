/** What `stat` says on stderr about the paths it could not examine (the socket check reads it). */

export interface StatError {
  path: string;
  /** The system's words, e.g. "No such file or directory", "Permission denied", "Not a directory". */
  error: string;
}

/**
 * Unquote a file name as coreutils prints it in messages (shell-escape style): 'plain', "it's",
 * 'new'$'\n''line', or bare when nothing needs quoting.
 */
export function unquoteCoreutils(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return out + text.slice(i + 1);
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        out += text[j];
        j++;
      }
      i = j + 1;
    } else if (ch === '$' && text[i + 1] === "'") {
      let j = i + 2;
      while (j < text.length && text[j] !== "'") {
        if (text[j] === '\\' && j + 1 < text.length) {
          const e = text[j + 1]!;
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b', '\\': '\\', "'": "'", '"': '"' };
          if (simple[e] !== undefined) {
            out += simple[e];
            j += 2;
          } else if (/[0-7]/.test(e)) {
            const oct = /^[0-7]{1,3}/.exec(text.slice(j + 1))![0];
            out += String.fromCharCode(parseInt(oct, 8));
            j += 1 + oct.length;
          } else if (e === 'x') {
            const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(j + 2))?.[0] ?? '';
            out += hex === '' ? 'x' : String.fromCharCode(parseInt(hex, 16));
            j += 2 + hex.length;
          } else {
            out += e;
            j += 2;
          }
        } else {
          out += text[j];
          j++;
        }
      }
      i = j + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/**
 * Every path stat could not examine, from its stderr, e.g.
 *   stat: cannot statx '/run/php/x.sock': No such file or directory
 * Older coreutils say "cannot stat". Run stat with LC_ALL=C: translations change these words.
 */
export function statErrors(stderr: string): StatError[] {
  const out: StatError[] = [];
  // Quoting keeps a name's newlines escaped, so each message is one line.
  for (const line of stderr.split('\n')) {
    const m = /^stat: cannot (?:statx|stat) (.+): ([^:]+)$/.exec(line.trimEnd());
    if (!m) continue;
    out.push({ path: unquoteCoreutils(m[1]!), error: m[2]! });
  }
  return out;
}
