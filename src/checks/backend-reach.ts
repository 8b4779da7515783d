import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { describeRoute, ipNeighCommand, ipRouteGetCommand, parseIpNeigh, parseIpRouteGet, routeAddress, type RouteAnswer } from '../system/ip-route.js';
import { describeQueue, parseListenQueues, queueFor, SS_QUEUES } from '../system/listen-queue.js';
import { blockingRules, describeRule, NFT_RULESET } from '../system/nft.js';
import { parseTcpProbe, tcpProbeCommand } from '../system/tcp-probe.js';
import { defineCheck, type CheckResult } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { connectTimeout, describeTimeout } from '../facts/timeouts.js';
import { dialledAddress, showDialled } from '../facts/dialled.js';
import { routeOf } from '../facts/route.js';

const NO_ROUTE_KINDS = new Set(['no-route', 'network-unreachable']);

function timeoutOf(facts: KnownFacts) {
  const route = routeOf(facts);
  if (!route) throw new Error('the request no longer routes anywhere');
  return connectTimeout(route);
}

/**
 * How long our own connect may take: twice nginx's timeout (so a slow accept shows as slow, not as dead),
 * 2 to 5 s; at least 4 s after a "no route" error, since the kernel gives up on an unanswered ARP after 3 s.
 */
export function probeSeconds(connectMs: number, errorKind: string): number {
  const seconds = Math.min(5, Math.max(2, Math.ceil((connectMs * 2) / 1000)));
  return NO_ROUTE_KINDS.has(errorKind) ? Math.max(seconds, 4) : seconds;
}

function nextHop(route: RouteAnswer, address: string): string | null {
  if (route.kind === 'gateway') return routeAddress(route.via);
  if (route.kind === 'link') return address;
  return null;
}

const OUTCOMES = ['timeout', 'no-route', 'refused', 'queue-full', 'slow', 'open', 'unknown'] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * Connects to the address nginx could not reach, from this box, and asks the kernel how it routes there,
 * whether the next hop answers ARP, whether the backend's accept queue is full (when it listens here),
 * and whether this box's own firewall names the address or port.
 */
export const backendReach = defineCheck({
  id: 'backend.reach',
  guide: 'timeouts',
  outcomes: OUTCOMES,
  needs: ['upstream.target', 'error.kind', 'nginx.config', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  learns: ['reach.address', 'reach.probe', 'reach.route', 'reach.blocking', 'timeout.directive', 'timeout.currentMs'],

  plan(facts, done) {
    const target = dialledAddress(facts);
    if (target?.kind !== 'tcp') return [];
    const ip = routeAddress(target.host);
    if (done.length === 0) {
      const seconds = probeSeconds(timeoutOf(facts).ms, need(facts, 'error.kind'));
      // The connect, the route and nginx's box's firewall are nginx's view; the accept queue and the
      // firewall of the box the backend runs on are that box's own (the same box when the backend is local).
      const batch: CommandSpec[] = [
        { argv: tcpProbeCommand(target.host, target.port, seconds), timeoutMs: (seconds + 3) * 1000 },
        onBackend({ argv: SS_QUEUES }),
        { argv: NFT_RULESET },
        onBackend({ argv: NFT_RULESET }),
      ];
      if (ip) batch.push({ argv: ipRouteGetCommand(ip) });
      return batch;
    }
    // The neighbour entry is read after our own connect, so it tells how the kernel's ARP question went.
    const routeRun = resultOf(done, 'ip', 'route');
    if (!ip || !routeRun || resultOf(done, 'ip', 'neigh')) return [];
    const hop = nextHop(parseIpRouteGet(routeRun), ip);
    return hop ? [{ argv: ipNeighCommand(hop) }] : [];
  },

  interpret(facts, results): CheckResult<Outcome> {
    const timeout = timeoutOf(facts);
    const learnedTimeout: KnownFacts = { 'timeout.directive': timeout.directive, 'timeout.currentMs': timeout.ms };
    if (timeout.place) learnedTimeout['timeout.place'] = timeout.place;
    const target = dialledAddress(facts);
    if (target?.kind !== 'tcp') {
      const shown = target ? showDialled(target) : need(facts, 'upstream.target');
      return {
        outcome: 'unknown',
        facts: { ...learnedTimeout, 'reach.address': shown, 'reach.probe': 'error', 'reach.route': 'not a TCP address', 'reach.blocking': [] },
        summary: `cannot probe ${shown} over TCP`,
        evidence: [{ lines: [describeTimeout(timeout)] }],
      };
    }
    const address = showDialled(target);
    const ip = routeAddress(target.host);
    const probeRun = results[0] as CommandResult;
    const probe = parseTcpProbe(probeRun);
    const routeRun = resultOf(results, 'ip', 'route');
    const route = routeRun ? parseIpRouteGet(routeRun) : null;
    const neighRun = resultOf(results, 'ip', 'neigh');
    const neighbour = neighRun?.code === 0 ? parseIpNeigh(neighRun.stdout) : null;
    const queueRun = resultOf(results, ...SS_QUEUES);
    const queues = parseListenQueues(queueRun?.stdout ?? '');
    const queue = ip ? queueFor(queues, { ip, port: target.port }) : null;
    // The first ruleset is nginx's box's; the second the backend's box's (skipped when it is the same box).
    const [nftRun, backendNft] = results.filter((r) => r.argv.join(' ') === NFT_RULESET.join(' '));
    const rulesOf = (run: CommandResult | undefined): string[] | null => {
      if (run?.code !== 0 || !ip) return null;
      const found = blockingRules(run.stdout, { address: ip, port: target.port });
      return [...found.rules.map(describeRule), ...found.dropPolicies];
    };
    const blockingLines = rulesOf(nftRun) ?? [];
    const otherBox = backendNft !== undefined && backendNft.host !== nftRun?.host;
    const backendLines = otherBox ? rulesOf(backendNft) : null;

    const probeLine =
      probe === 'open'
        ? `connected in ${probeRun.ms} ms`
        : probe === 'timeout'
          ? `no answer within ${Math.round(probeRun.ms / 1000)} s: the connect timed out`
          : `${probe} after ${probeRun.ms} ms: ${probeRun.stderr.trim().split('\n')[0] ?? ''}`;
    const evidence: Evidence[] = [
      { probe: `connect to ${address}`, lines: [probeLine] },
      { lines: [describeTimeout(timeout)], note: 'how long nginx waits for a connect' },
    ];
    if (routeRun && route)
      evidence.push({ command: shownCommand(routeRun.argv), lines: [describeRoute(ip ?? target.host, route), ...(routeRun.stdout.trim() || routeRun.stderr.trim()).split('\n').slice(0, 1)] });
    if (neighRun && neighbour)
      evidence.push({
        command: shownCommand(neighRun.argv),
        lines: [neighRun.stdout.trim() || 'no neighbour entry'],
        note: neighbour.state === 'failed' || neighbour.state === 'incomplete' ? 'nobody answered ARP for this address: the host is down or gone' : undefined,
      });
    if (queue) evidence.push({ command: shownCommand(SS_QUEUES), lines: [describeQueue(queue)] });
    if (nftRun?.code === 0)
      evidence.push({
        command: shownCommand(NFT_RULESET),
        lines: blockingLines.length ? blockingLines : [`no rule of this box's firewall names ${ip ?? target.host} or port ${target.port}`],
        ...(nftRun.host ? { host: nftRun.host } : {}),
      });
    if (backendNft && backendLines) {
      evidence.push({
        command: shownCommand(NFT_RULESET),
        lines: backendLines.length ? backendLines : [`no rule of the backend's box's firewall names ${ip ?? target.host} or port ${target.port}`],
        note: "the firewall of the backend's own box",
        ...(backendNft.host ? { host: backendNft.host } : {}),
      });
    }
    if (unseen(queueRun) || unseen(backendNft)) evidence.push(notExamined(address, "what the backend's accept queue and its own firewall hold"));

    const learned: KnownFacts = {
      ...learnedTimeout,
      'reach.address': address,
      'reach.probe': probe,
      'reach.route': route ? describeRoute(ip ?? target.host, route) : 'not checked (a host name, not an address)',
      'reach.blocking': blockingLines,
    };
    if (backendLines) learned['reach.backendBlocking'] = backendLines;
    if (route && (route.kind === 'link' || route.kind === 'gateway') && route.src) learned['reach.source'] = route.src;
    if (neighbour) learned['reach.neighbour'] = neighbour.state;
    if (queue) learned['reach.queue'] = describeQueue(queue);

    const result = (outcome: Outcome, summary: string): CheckResult<Outcome> => ({ outcome, facts: learned, summary, evidence });
    if (route?.kind === 'none' || probe === 'no-route' || probe === 'unreachable') {
      return result('no-route', route?.kind === 'none' ? `no route to ${address}: ${describeRoute(ip ?? target.host, route)}` : `the kernel answers "no route to host" for ${address}`);
    }
    if (queue?.full && (probe === 'timeout' || probe === 'open')) {
      return result('queue-full', `the backend's accept queue at ${address} is full: ${queue.queued} waiting, room for ${queue.backlog}`);
    }
    if (probe === 'timeout') return result('timeout', `connecting to ${address} still times out: packets are dropped on the way or the host is gone`);
    if (probe === 'refused') return result('refused', `${address} refuses connections now: nothing listens there any more`);
    if (probe === 'open' && probeRun.ms >= timeout.ms) {
      return result('slow', `${address} accepted only after ${probeRun.ms} ms, longer than ${timeout.directive} (${timeout.ms} ms)`);
    }
    if (probe === 'open') return result('open', `${address} accepts connections now, in ${probeRun.ms} ms`);
    return result('unknown', `could not test ${address}: ${probe}`);
  },
});
