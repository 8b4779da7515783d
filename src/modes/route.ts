import type { Mode } from '../args.js';
import { checkById } from '../checks/index.js';
import { requestTarget, routeOf } from '../facts/route.js';
import { nginxAddressFor, requestFacts } from '../facts/request.js';
import type { KnownFacts } from '../facts/keys.js';
import type { HostSet } from '../hosts/host-set.js';
import type { Route } from '../nginx/route-types.js';
import { routeJson, type RouteRequest } from '../report/route-json.js';
import { routeText } from '../report/route-text.js';
import { HostLost, runCheck } from '../runner/run-check.js';
import { CannotRun } from '../errors.js';
import { connectHosts } from '../drive/connect.js';
import { say } from '../shell/stderr.js';
import { EXIT } from './exit.js';
import { jsonText } from '../shell/sanitize.js';

type RouteMode = Extract<Mode, { kind: 'route' }>;

const warn = (message: string): void => say(message);

/** nginx cannot be asked (not running, config unreadable): the command ends with exit 3 and this message. */
class CannotAsk extends CannotRun {}

/** The request facts of the command line: the URL's, with --header's Host and the other headers. */
export function routeInputs(mode: RouteMode): KnownFacts {
  return {
    ...requestFacts(mode.url),
    ...(mode.hostHeader !== null ? { 'request.hostHeader': mode.hostHeader } : {}),
    'request.headers': mode.headers,
  };
}

const where = (hosts: HostSet): string => (hosts.proxy.label === 'local' ? 'this machine' : hosts.proxy.label);

async function learn(id: string, facts: KnownFacts, hosts: HostSet, going: string[]): Promise<{ outcome: string; summary: string; facts: KnownFacts }> {
  const { result } = await runCheck(checkById(id), facts, hosts);
  if (!going.includes(result.outcome)) throw new CannotAsk(`${result.summary} (on ${where(hosts)})`);
  return { outcome: result.outcome, summary: result.summary, facts: { ...facts, ...result.facts } };
}

interface Learned {
  route: Route | null;
  facts: KnownFacts;
  /** Why no server takes the request, when something else than nginx's config decides it. */
  reason?: string;
}

/** Where this box's nginx takes the connection, as request.find says it (routing prefers the URL's own IP). */
function connectToOf(facts: KnownFacts): string {
  return nginxAddressFor(facts['request.port'] as number, facts.listeners ?? [], facts.processes ?? [], facts['nginx.masterPid'] ?? -1);
}

/** Asks the box what nginx runs with, then routes the request through that config, asking about paths as nginx would test them. */
async function learnRoute(inputs: KnownFacts, hosts: HostSet): Promise<Learned> {
  const found = await learn('nginx.find', inputs, hosts, ['running', 'not-nginx']);
  if (found.outcome === 'not-nginx') {
    return { route: null, facts: { ...found.facts, 'request.connectTo': connectToOf(found.facts) }, reason: `${found.summary}: nginx does not take this connection` };
  }
  const { facts } = await learn('nginx.config', found.facts, hosts, ['valid']);
  const routed = await learn('nginx.route', { ...facts, 'request.connectTo': connectToOf(facts) }, hosts, [...checkById('nginx.route').outcomes]);
  return { route: routeOf(routed.facts), facts: routed.facts };
}

function requestOf(facts: KnownFacts): RouteRequest {
  // Where the connection arrives as routing takes it: the URL's own IP, else where nginx listens.
  const { address, port } = requestTarget(facts);
  const arrival = address ? `${address.includes(':') ? `[${address}]` : address}:${port}` : `port ${port}`;
  return {
    method: facts['request.method'] ?? 'GET',
    url: facts['request.url'] ?? '',
    hostHeader: facts['request.hostHeader'] ?? '',
    connectTo: arrival,
    headers: facts['request.headers'] ?? {},
  };
}

/** Who answered: nginx's version, pid and main config, and the box. */
function nginxLine(facts: KnownFacts, hosts: HostSet): string[] {
  if (facts['nginx.masterPid'] === undefined) return [`on ${where(hosts)}`];
  return [`nginx ${facts['nginx.version'] ?? ''} pid ${facts['nginx.masterPid']}, config ${facts['nginx.confPath'] ?? '?'}, on ${where(hosts)}`.replace('  ', ' ')];
}

/** `badgateway route`: where nginx sends this request and why, without sending it. */
export async function route(mode: RouteMode): Promise<number> {
  const inputs = routeInputs(mode);
  const notes: string[] = [];
  // Only nginx's box has anything to say about the route.
  for (const other of mode.hosts.filter((h) => h.role !== 'proxy')) warn(`--host ${other.role}=${other.target} is not asked: the route is nginx's alone (the proxy host)`);
  // A host that cannot be reached ends the run here (SshError: exit 3, its message on stderr).
  const hosts = await connectHosts(
    mode.hosts.filter((h) => h.role === 'proxy'),
    { asker: null, acceptNewHostKey: mode.acceptNewHostKey, notes },
  );
  try {
    for (const note of notes) warn(note);
    const learned = await learnRoute(inputs, hosts);
    const answer = routeJson(learned.route, requestOf({ ...inputs, ...learned.facts }), learned.reason);
    process.stdout.write(mode.json ? `${jsonText(answer)}\n` : routeText(answer, nginxLine(learned.facts, hosts)));
    return EXIT.healthyOrFixed;
  } catch (e) {
    if (!(e instanceof CannotAsk || e instanceof HostLost)) throw e;
    throw new CannotRun(`cannot work out the route: ${e.message}`, { cause: e });
  } finally {
    await hosts.close();
  }
}
