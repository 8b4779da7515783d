/**
 * Firewall rules that could stop a connection to one address and port, read from `nft list ruleset`
 * (root only; iptables on Debian 12 writes its rules there too). Real output in
 * test/fixtures/network/nft-ruleset-*.json:
 *
 *   table inet bgcap {
 *   	chain input {
 *   		type filter hook input priority filter; policy accept;
 *   		tcp dport 8080 drop
 *   		tcp dport 8081 reject with icmp host-prohibited
 *
 * A DROP makes the connection time out (110); a REJECT with an ICMP host-prohibited, admin-prohibited or
 * host-unreachable answer gives "No route to host" (113); a REJECT with tcp reset or port-unreachable (the
 * default) looks like nothing listening (111).
 */
export const NFT_RULESET = ['nft', 'list', 'ruleset'];

export interface BlockingRule {
  table: string;
  chain: string;
  hook: string | null;
  rule: string;
  /** What the client sees: 'timeout' (drop), 'no-route' (ICMP reject), 'refused' (tcp reset). */
  effect: 'timeout' | 'no-route' | 'refused';
}

function effectOf(rule: string): BlockingRule['effect'] | null {
  // The verdict is the rule's last statement; quoted text (log prefixes, comments) is not a verdict.
  const bare = rule.replace(/"[^"]*"/g, '""');
  const reject = /\breject(?: with ([\w -]+))?$/.exec(bare);
  // Plain reject answers ICMP port-unreachable, which the client sees as refused, like a tcp reset.
  if (reject) return !reject[1] || /tcp reset|port-unreachable/.test(reject[1]) ? 'refused' : 'no-route';
  if (/\bdrop$/.test(bare)) return 'timeout';
  return null;
}

function mentionsPort(rule: string, port: number): boolean {
  const m = /\bdport\s+(\{[^}]*\}|\S+)/.exec(rule);
  if (!m) return false;
  return m[1]!
    .replace(/[{}]/g, '')
    .split(',')
    .map((s) => s.trim())
    .some((part) => {
      const range = /^(\d+)-(\d+)$/.exec(part);
      return range ? port >= Number(range[1]) && port <= Number(range[2]) : Number(part) === port;
    });
}

function mentionsAddress(rule: string, address: string): boolean {
  const m = /\b[sd]addr\s+(\{[^}]*\}|\S+)/.exec(rule);
  if (!m) return false;
  return m[1]!
    .replace(/[{}]/g, '')
    .split(',')
    .map((s) => s.trim())
    .some((part) => part === address || (part.includes('/') && inPrefix(address, part)));
}

function inPrefix(address: string, prefix: string): boolean {
  const [net, bitsText] = prefix.split('/') as [string, string];
  const toInt = (ip: string): number | null => {
    const parts = ip.split('.').map(Number);
    return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts.reduce((a, p) => a * 256 + p, 0) : null;
  };
  const a = toInt(address);
  const n = toInt(net);
  const bits = Number(bitsText);
  if (a === null || n === null || !(bits >= 0 && bits <= 32)) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(n / size);
}

/**
 * Drop and reject rules that name this port as destination port or this address as source or destination,
 * and chains whose default policy is drop (every port not accepted explicitly is dropped).
 */
export function blockingRules(ruleset: string, target: { address: string; port: number }): { rules: BlockingRule[]; dropPolicies: string[] } {
  const rules: BlockingRule[] = [];
  const dropPolicies: string[] = [];
  let table = '';
  let chain = '';
  let hook: string | null = null;
  for (const raw of ruleset.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^table (\S+ \S+) \{$/.exec(line))) {
      table = m[1]!;
      continue;
    }
    if ((m = /^chain (\S+) \{$/.exec(line))) {
      chain = m[1]!;
      hook = null;
      continue;
    }
    if ((m = /^type \S+ hook (\S+)\b.*$/.exec(line))) {
      hook = m[1]!;
      if (/\bpolicy drop;/.test(line)) dropPolicies.push(`table ${table} chain ${chain} (hook ${hook}): policy drop`);
      continue;
    }
    if (!chain || line === '' || line === '}' || line.startsWith('#')) continue;
    const effect = effectOf(line);
    if (!effect) continue;
    if (mentionsPort(line, target.port) || mentionsAddress(line, target.address)) rules.push({ table, chain, hook, rule: line, effect });
  }
  return { rules, dropPolicies };
}

export function describeRule(r: BlockingRule): string {
  return `table ${r.table} chain ${r.chain}${r.hook ? ` (hook ${r.hook})` : ''}: ${r.rule}`;
}
