/** The nameserver addresses of /etc/resolv.conf, in order (comments and other options ignored). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** /etc/hosts entries: an address and its names, lower-cased; comments dropped. */
export function parseHostsFile(text: string): { address: string; names: string[] }[] {
  const out: { address: string; names: string[] }[] = [];
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (address && names.length) out.push({ address, names: names.map((n) => n.toLowerCase()) });
  }
  return out;
}
