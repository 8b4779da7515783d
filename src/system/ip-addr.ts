/** `ip -o addr show`: the addresses a box has, one line per address. */

export const IP_ADDR = ['ip', '-o', 'addr', 'show'];

export interface BoxAddress {
  iface: string;
  family: 'inet' | 'inet6';
  address: string;
  prefix: number;
}

export function parseIpAddr(stdout: string): BoxAddress[] {
  const out: BoxAddress[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(line);
    if (m) out.push({ iface: m[1] as string, family: m[2] as 'inet' | 'inet6', address: (m[3] as string).toLowerCase(), prefix: Number(m[4]) });
  }
  return out;
}

/** Whether a connection to `address` stays on this box: loopback, or one of its own addresses. */
export function isOwnAddress(address: string, own: readonly BoxAddress[]): boolean {
  const plain = address
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  if (plain === 'localhost' || plain === '::1' || /^127\./.test(plain)) return true;
  return own.some((a) => a.address === plain);
}
