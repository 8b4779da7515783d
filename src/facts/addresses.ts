/** An address as nginx or ss writes it, bare: no brackets, no %zone, no ::ffff: prefix on an IPv4 address. */
export function bare(address: string): string {
  return address
    .replace(/^\[|\]$/g, '')
    .replace(/%\w+$/, '')
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/** The addresses a name nginx dials stands for on this box; an IP literal stands for itself. */
export function dialledAddresses(host: string): string[] {
  const plain = bare(host);
  if (plain === 'localhost') return ['127.0.0.1', '::1'];
  return [plain];
}
