/** The URI nginx matches locations against: percent-decoded, slashes merged, dot segments resolved; null when nginx answers 400. */
export function normalizeUri(path: string): string | null {
  let uri = path.replace(/[?#].*$/s, '') || '/';
  try {
    uri = decodeURIComponent(uri);
  } catch {
    // Not UTF-8 once decoded (%E9): nginx matches bytes; decode what is ASCII and keep the rest as sent.
    uri = uri.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  if (uri.includes('\0') || /%(?![0-9a-f]{2})/i.test(path.replace(/[?#].*$/s, ''))) return null;
  const out: string[] = [];
  for (const seg of uri.split('/').slice(1)) {
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else if (seg !== '.' && seg !== '') out.push(seg);
  }
  const trailing = /\/\.{0,2}$/.test(uri) && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}

/** A target with arguments: nginx splits at the first "?" (ngx_http_split_args). */
export function splitArgs(target: string): { uri: string; args: string | null } {
  const q = target.indexOf('?');
  return q === -1 ? { uri: target, args: null } : { uri: target.slice(0, q), args: target.slice(q + 1) };
}
