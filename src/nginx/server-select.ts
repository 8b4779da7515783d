import type { Directive } from './config-types.js';
import { headOf, LazyServer } from './lazy-server.js';
import { compilePcre } from './pcre.js';
import { MatchLimit } from './pcre-deadline.js';
import type { Route } from './route-types.js';

export const children = (d: Directive | undefined, name: string): Directive[] => (d?.block ?? []).filter((c) => c.directive === name);

interface Listen {
  host: string | null; // null: every address of the family
  family: 4 | 6;
  /** A port, or a range "8000-8010" as nginx accepts since 1.27.x. */
  ports: [number, number];
  isDefault: boolean;
  ipv6only: boolean;
}

function portRange(text: string): [number, number] {
  const dash = text.indexOf('-');
  if (dash === -1) {
    const port = Number(text);
    return [port, port];
  }
  return [Number(text.slice(0, dash)), Number(text.slice(dash + 1))];
}

function parseListen(args: readonly string[]): Listen | null {
  const [addr = '', ...params] = args;
  if (addr.startsWith('unix:')) return null;
  const isDefault = params.includes('default_server') || params.includes('default');
  const ipv6only = !params.includes('ipv6only=off');
  let host: string;
  let ports: [number, number] = [80, 80];
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    host = addr.slice(1, end);
    const rest = addr.slice(end + 1);
    if (rest.startsWith(':')) ports = portRange(rest.slice(1));
  } else if (/^\d+(-\d+)?$/.test(addr)) {
    host = '*';
    ports = portRange(addr);
  } else if (addr.includes(':')) {
    host = addr.slice(0, addr.lastIndexOf(':'));
    ports = portRange(addr.slice(addr.lastIndexOf(':') + 1));
  } else {
    host = addr;
  }
  const family = host.includes(':') ? 6 : 4;
  const wildcard = host === '*' || host === '0.0.0.0' || host === '::';
  return { host: wildcard ? null : host.toLowerCase(), family, ports, isDefault, ipv6only };
}

/**
 * Listens by what they say, each read once: 20,000 vhosts write a handful of different listen lines between
 * them (and a map keyed by the text costs the garbage collector less than one keyed by 20,000 servers).
 */
const listensByText = new Map<string, Listen[]>();
/** The same for a server with one listen of one word (most vhosts), by that word. */
const listensByWord = new Map<string, Listen[]>();

function listensOf(server: Directive): Listen[] {
  // A lazy server's one listen of one word is known without making its directives (lazy-server.ts).
  const lazyWord = server instanceof LazyServer ? server.listenWord : null;
  if (lazyWord !== null) return listensOfWord(lazyWord);
  const written = headOf(server, 'listen');
  // A server without listen gets *:80 (nginx uses *:8000 when it runs unprivileged).
  if (written.length === 0) return [{ host: null, family: 4, ports: [80, 80], isDefault: false, ipv6only: true }];
  if (written.length === 1 && written[0]!.args.length === 1) return listensOfWord(written[0]!.args[0]!);
  const key = JSON.stringify(written.map((d) => d.args));
  let listens = listensByText.get(key);
  if (!listens) {
    listens = written.map((d) => parseListen(d.args)).filter((l): l is Listen => l !== null);
    listensByText.set(key, listens);
  }
  return listens;
}

function listensOfWord(word: string): Listen[] {
  let listens = listensByWord.get(word);
  if (!listens) {
    const listen = parseListen([word]);
    listens = listen ? [listen] : [];
    listensByWord.set(word, listens);
  }
  return listens;
}

function sameAddress(listenHost: string, address: string): boolean {
  if (listenHost === 'localhost') return address === '127.0.0.1' || address === '::1';
  return listenHost === address;
}

export interface Candidate {
  server: Directive;
  isDefault: boolean;
}

const serversMemo = new WeakMap<Directive, Directive[]>();

/** The server blocks of an http block, the same array each time it is asked (the memos below key on it). */
export function serversIn(http: Directive): Directive[] {
  let servers = serversMemo.get(http);
  if (!servers) {
    servers = children(http, 'server');
    serversMemo.set(http, servers);
  }
  return servers;
}

const candidatesMemo = new WeakMap<Directive[], Map<string, Candidate[]>>();

/** The servers that see a connection to address:port, per nginx: a specific address hides the wildcard listeners. */
export function serversFor(servers: Directive[], port: number, address?: string): Candidate[] {
  const byTarget = candidatesMemo.get(servers) ?? new Map<string, Candidate[]>();
  candidatesMemo.set(servers, byTarget);
  const key = `${port} ${address ?? ''}`;
  let found = byTarget.get(key);
  if (!found) {
    found = candidatesOf(servers, port, address);
    byTarget.set(key, found);
  }
  return found;
}

const listenTables = new WeakMap<Directive[], Listen[][]>();

/** The listens of each of these servers (serversIn's array), read once: before the first request, when warmed. */
export function listenTable(servers: Directive[]): Listen[][] {
  let table = listenTables.get(servers);
  if (!table) {
    table = servers.map(listensOf);
    listenTables.set(servers, table);
  }
  return table;
}

function candidatesOf(servers: Directive[], port: number, address?: string): Candidate[] {
  // One pass for the listens on this port, one to choose: 20,000 vhosts are asked this at every step ahead.
  const onPort: { server: Directive; listens: Listen[] }[] = [];
  const table = listenTable(servers);
  const onThisPort = (l: Listen): boolean => l.ports[0] <= port && port <= l.ports[1];
  for (let i = 0; i < servers.length; i++) {
    const all = table[i]!;
    const listens = all.every(onThisPort) ? all : all.filter(onThisPort);
    if (listens.length > 0) onPort.push({ server: servers[i]!, listens });
  }
  let accepts: (l: Listen) => boolean = () => true;
  if (address !== undefined) {
    const addr = address.replace(/^\[|\]$/g, '').toLowerCase();
    const family = addr.includes(':') ? 6 : 4;
    const specific = (l: Listen): boolean => l.host !== null && sameAddress(l.host, addr);
    const wildcard = (l: Listen): boolean => l.host === null && (l.family === family || (family === 4 && l.family === 6 && !l.ipv6only));
    accepts = onPort.some((s) => s.listens.some(specific)) ? specific : wildcard;
  }
  const out: Candidate[] = [];
  for (const { server, listens } of onPort) {
    if (listens.some(accepts)) out.push({ server, isDefault: listens.some((l) => accepts(l) && l.isDefault) });
  }
  return out;
}

function normalizeHost(hostHeader: string): string {
  let host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1);
  else if (host.includes(':')) host = host.slice(0, host.indexOf(':'));
  return host.replace(/\.$/, '');
}

export interface PickedServer {
  server: Directive;
  name: string;
  by: Route['serverBy'];
  /** Named captures of a regex server_name: they become variables. */
  captures?: Record<string, string | undefined>;
  groups?: (string | undefined)[];
  /** server_name regexes that could not be evaluated. */
  notes: string[];
}

interface ServerName {
  server: Directive;
  name: string;
  at: Directive;
}

interface PoolNames {
  /** Wildcard and regex names, in order: the only ones a host can match when no exact name does. */
  patterned: ServerName[];
  /** The first server of each exact name asked so far (lower case), null for none. */
  exact: Map<string, ServerName | null>;
}

const isPatterned = (name: string): boolean => name.startsWith('~') || name.startsWith('.') || name.includes('*');

const namesMemo = new WeakMap<Candidate[], PoolNames>();

/** A server's own directives, or for a lazy server its server_name ones (all that is looked for here), unmade otherwise. */
const ownDirectives = (server: Directive): readonly Directive[] => (server instanceof LazyServer ? server.head.names : (server.block ?? []));

/** A pool's wildcard and regex names, found once: 20,000 vhosts have 40,000 names, nearly all of them exact. */
function namesOf(pool: Candidate[]): PoolNames {
  let found = namesMemo.get(pool);
  if (!found) {
    const patterned: ServerName[] = [];
    for (const { server } of pool) {
      // A lazy server's names are looked at without making its directives, which only the few with a pattern need.
      if (server instanceof LazyServer && !server.someName(isPatterned)) continue;
      for (const at of ownDirectives(server)) {
        if (at.directive === 'server_name') for (const name of at.args) if (isPatterned(name)) patterned.push({ server, name, at });
      }
    }
    found = { patterned, exact: new Map() };
    namesMemo.set(pool, found);
  }
  return found;
}

/** The first server of the pool with `host` (lower case) as an exact name: a scan that makes nothing but the answer. */
function exactName(pool: Candidate[], host: string): ServerName | null {
  const names = namesOf(pool);
  const known = names.exact.get(host);
  if (known !== undefined) return known;
  const isHost = (name: string): boolean => !isPatterned(name) && name.toLowerCase() === host;
  const nameIn = (server: Directive): ServerName | null => {
    for (const at of ownDirectives(server)) {
      if (at.directive === 'server_name') for (const name of at.args) if (isHost(name)) return { server, name, at };
    }
    return null;
  };
  let found: ServerName | null = null;
  for (const { server } of pool) {
    // A lazy server's names are looked at without making its directives (lazy-server.ts).
    if (server instanceof LazyServer && !server.someName(isHost)) continue;
    found = nameIn(server);
    if (found) break;
  }
  names.exact.set(host, found);
  return found;
}

/** nginx's server choice among the candidates: exact name, longest leading wildcard, longest trailing wildcard, first regex, default. */
export function pickServer(pool: Candidate[], hostHeader: string): PickedServer | null {
  const host = normalizeHost(hostHeader);
  const notes: string[] = [];
  const exact = exactName(pool, host);
  if (exact) return { server: exact.server, name: exact.name, by: 'exact', notes };
  const { patterned } = namesOf(pool);
  const longest = <T extends { name: string }>(matches: T[]) => matches.reduce<T | null>((best, m) => (!best || m.name.length > best.name.length ? m : best), null);
  const leading = longest(
    patterned.filter(({ name }) => {
      const n = name.toLowerCase();
      // ".example.org" is nginx shorthand for "example.org" plus "*.example.org".
      const suffix = n.startsWith('*.') ? n.slice(1) : n.startsWith('.') ? n : null;
      return suffix !== null && (host.endsWith(suffix) || (n.startsWith('.') && host === n.slice(1)));
    }),
  );
  if (leading) return { server: leading.server, name: leading.name, by: 'wildcard', notes };
  const trailing = longest(patterned.filter(({ name }) => name.endsWith('.*') && host.startsWith(name.toLowerCase().slice(0, -1))));
  if (trailing) return { server: trailing.server, name: trailing.name, by: 'wildcard', notes };
  for (const { server, name, at } of patterned.filter((n) => n.name.startsWith('~'))) {
    const regex = compilePcre(name.slice(1), true);
    if (!regex.ok) {
      notes.push(`server_name ${name} (${at.file}:${at.line}) cannot be evaluated: ${regex.reason}`);
      continue;
    }
    let match: ReturnType<typeof regex.exec>;
    try {
      match = regex.exec(host);
    } catch (error) {
      if (!(error instanceof MatchLimit)) throw error;
      notes.push(`server_name ${name} (${at.file}:${at.line}): ${error.message}; taken as not matching`);
      continue;
    }
    if (match) return { server, name, by: 'regex', captures: match.named, groups: match.groups, notes };
  }
  const fallback = pool.find((s) => s.isDefault) ?? pool[0];
  if (!fallback) return null;
  const first = headOf(fallback.server, 'server_name')[0]?.args[0] ?? '';
  return { server: fallback.server, name: first, by: 'default', notes };
}
