import { parsePsStates, stateWords, type ProcessState } from '../system/ps-states.js';
import { parseSs } from '../system/ss.js';
import { failedServer, listenersAt } from './failed-server.js';
import type { BackendHint, KnownFacts } from './keys.js';

/**
 * The processes that hold the listening socket nginx dials for this request (the backend's master and
 * the workers that inherited it), with their states, read from `ss -Hltnxp` and `ps` on the backend's box.
 * Empty when nothing listens there or ss could not name the owner (another user's process without root).
 */
export function socketHolders(facts: KnownFacts, ssStdout: string, psStdout: string): ProcessState[] {
  const server = failedServer(facts);
  if (!server) return [];
  const nginxMaster = facts['nginx.masterPid'];
  const processes = parsePsStates(psStdout);
  const nginx = new Set(processes.filter((p) => p.pid === nginxMaster || p.ppid === nginxMaster).map((p) => p.pid));
  const pids = new Set(listenersAt(server, parseSs(ssStdout)).flatMap((l) => l.pids ?? (l.pid !== null ? [l.pid] : [])));
  return processes.filter((p) => pids.has(p.pid) && !nginx.has(p.pid));
}

/** The topmost holders: a master whose workers inherited the socket, not each worker. */
export function rootHolders(holders: readonly ProcessState[]): ProcessState[] {
  const pids = new Set(holders.map((h) => h.pid));
  return holders.filter((h) => !pids.has(h.ppid));
}

/** "pid 812 stopped: gunicorn: master [app]", one line per holder, for evidence and fix text. */
export function describeHolders(holders: readonly ProcessState[]): string[] {
  return holders.map((h) => `pid ${h.pid} ${stateWords(h)}: ${h.args.length > 120 ? `${h.args.slice(0, 117)}...` : h.args}`);
}

/** The same, grouped for a sentence: "pid 56, 58, 60 stopped: /usr/bin/python3 /usr/bin/gunicorn ...". */
export function summarizeHolders(holders: readonly ProcessState[]): string[] {
  const groups = new Map<string, { state: string; args: string; pids: number[] }>();
  for (const h of holders) {
    const key = `${stateWords(h)}\0${h.args}`;
    const group = groups.get(key) ?? { state: stateWords(h), args: h.args, pids: [] };
    group.pids.push(h.pid);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => `pid ${g.pids.join(', ')} ${g.state}: ${g.args.length > 80 ? `${g.args.slice(0, 77)}...` : g.args}`);
}

/** The backend's master as the service check knows it, found through the socket it holds. */
export function holderHint(holders: readonly ProcessState[]): BackendHint {
  const root = rootHolders(holders)[0] ?? holders[0];
  if (!root) return { pid: null, binary: null, conf: null, names: [], label: 'the backend' };
  const program = root.args.split(' ')[0] ?? '';
  const name = program.replace(/^.*\//, '').replace(/:$/, '');
  return { pid: root.pid, binary: program.startsWith('/') ? program : null, conf: null, names: name ? [name] : [], label: `${name || 'the backend'} pid ${root.pid}` };
}
