function ipv4(text: string): number | null {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** Whether an allow/deny address or CIDR covers the client (IPv4 CIDRs; other forms compared as written). */
export function addressIn(client: string, rule: string): boolean {
  const [net = '', bits] = rule.split('/');
  const a = ipv4(client);
  const b = ipv4(net);
  if (a === null || b === null) return client.toLowerCase() === net.toLowerCase();
  const block = 2 ** (32 - (bits === undefined ? 32 : Number(bits)));
  return Math.floor(a / block) === Math.floor(b / block);
}
