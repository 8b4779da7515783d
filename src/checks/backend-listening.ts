import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, Listener } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { parseHttpProbe, httpProbeCommand } from '../system/http-probe.js';
import { parsePs } from '../system/ps.js';
import { parseSs } from '../system/ss.js';
import { parseTcpProbe, tcpProbeCommand } from '../system/tcp-probe.js';
import { defineCheck, type Alternative } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { onBackend, notExamined, sameBox, unseen } from '../facts/backend-view.js';
import { bare } from '../facts/addresses.js';
import { describeListener, findCandidates, portsInUse, processTree } from '../facts/candidates.js';

const PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
const SS = ['ss', '-Hltnxp'];
const MAX_PROBED = 4;

function urlFor(listener: Listener, path: string): string {
  const address = bare(listener.address);
  const host = address === '*' || address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listener.port}${path}`;
}

function gather(facts: KnownFacts, results: readonly CommandResult[]) {
  const ssRun = resultOf(results, ...SS);
  const listeners = parseSs(ssRun?.stdout ?? '');
  const processes = parsePs(resultOf(results, ...PS)?.stdout ?? '');
  // ss and ps ran on the backend's box: nginx's pids (from nginx's box) count only when that is the same box.
  const nginxPids = sameBox(ssRun, results[0]) ? processTree(processes, need(facts, 'nginx.masterPid')) : new Set<number>();
  const port = need(facts, 'upstream.port');
  const taken = portsInUse(need(facts, 'nginx.config'), port);
  const candidates = findCandidates(need(facts, 'upstream.host'), port, need(facts, 'upstream.module'), listeners, nginxPids, taken);
  return { listeners, processes, candidates };
}

/** Speaks the protocol nginx would speak to it: HTTP for proxy_pass http://, a matching process name otherwise. */
function speaksHttp(module: string, scheme: string): boolean {
  return module === 'proxy' && scheme === 'http';
}

const OUTCOMES = ['accepts', 'down', 'other-port', 'other-address'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** Is anything listening where nginx dials, and if not, is the backend listening somewhere else? */
export const backendListening = defineCheck({
  id: 'backend.listening',
  guide: 'backend-running',
  outcomes: OUTCOMES,
  needs: ['upstream.host', 'upstream.port', 'upstream.module', 'upstream.scheme', 'nginx.masterPid', 'nginx.config', 'request.path', 'request.hostHeader'],
  early: 'first-round',
  learns: ['listeners', 'processes', 'backend.running'],
  learnsOn: {
    'other-port': ['backend.listenAt', 'backend.port', 'backend.process'],
    'other-address': ['backend.listenAt', 'backend.port', 'backend.process'],
  },

  plan(facts, done) {
    const host = need(facts, 'upstream.host');
    const port = need(facts, 'upstream.port');
    // The connect is nginx's view; what listens, and who, is the backend box's own view.
    if (done.length === 0) return [{ argv: tcpProbeCommand(bare(host), port, 3) }, onBackend({ argv: SS }), onBackend({ argv: PS })];
    if (done.length > 3 || !speaksHttp(need(facts, 'upstream.module'), need(facts, 'upstream.scheme'))) return [];
    const { candidates } = gather(facts, done);
    // Settled without them: something accepts at the address, or listens on its port at another address.
    if (parseTcpProbe(done[0] as CommandResult) === 'open' || candidates.exact.length || candidates.otherAddress.length) return [];
    // A listener's address is the backend box's own: ask it from there.
    return candidates.otherPort
      .slice(0, MAX_PROBED)
      .map((l) => onBackend({ argv: httpProbeCommand(urlFor(l, need(facts, 'request.path')), { timeoutSeconds: 3, hostHeader: need(facts, 'request.hostHeader') }), timeoutMs: 8000 }));
  },

  interpret(facts, results) {
    const host = need(facts, 'upstream.host');
    const port = need(facts, 'upstream.port');
    const module = need(facts, 'upstream.module');
    const dial = `${host.includes(':') ? `[${bare(host)}]` : host}:${port}`;
    const probeRun = results[0] as CommandResult;
    const probe = parseTcpProbe(probeRun);
    const { listeners, processes, candidates } = gather(facts, results);
    const ssRun = resultOf(results, ...SS);
    const evidence: Evidence[] = [{ probe: `connect to ${dial}`, lines: [`${dial}: ${probe}`] }];
    const ssLines = listeners.filter((l) => l.netid !== 'unix').map(describeListener);
    const blind = unseen(ssRun);
    if (blind) evidence.push(notExamined(dial, 'what listens there (another port, another address)'));
    else evidence.push({ command: shownCommand(SS), lines: ssLines.length ? ssLines.slice(0, 12) : ['no TCP listeners at all'] });
    // A fix for what listens there is made on that box, not on nginx's.
    const box = ssRun?.host !== undefined && !sameBox(ssRun, probeRun) ? ssRun.host : undefined;
    const base: KnownFacts = { listeners, processes, ...(box ? { 'backend.box': box } : {}) };

    if (probe === 'open' || candidates.exact.length) {
      return { outcome: 'accepts', facts: { ...base, 'backend.running': true }, summary: `something accepts connections at ${dial} now`, evidence };
    }
    const answered = results.slice(3).map((run) => ({ run, answer: parseHttpProbe(run) }));
    const httpBackends = candidates.otherPort.filter((_, i) => answered[i]?.answer.status !== null && answered[i] !== undefined);
    answered.forEach(({ run, answer }) => {
      evidence.push({ command: shownCommand(run.argv), lines: [answer.status !== null ? `answered HTTP ${answer.status}` : `no HTTP answer: ${answer.error ?? answer.message}`] });
    });
    const plausible = speaksHttp(module, need(facts, 'upstream.scheme')) ? httpBackends : candidates.otherPort.filter((l) => /php-fpm|uwsgi|fcgi/i.test(l.process ?? ''));
    const elsewhere = (l: Listener): KnownFacts => ({
      ...base,
      'backend.running': true,
      'backend.listenAt': `${l.address.includes(':') && !l.address.startsWith('[') ? `[${l.address}]` : l.address}:${l.port}`,
      'backend.port': l.port as number,
      'backend.process': l.process ?? 'unknown',
    });
    const downSummary = blind ? `nothing accepts connections at ${dial}; its box was not examined, so the backend is taken as not running` : `nothing listens at ${dial}: the backend is not running`;
    const sameAddress = candidates.otherAddress[0];
    if (sameAddress) {
      return {
        outcome: 'other-address',
        facts: elsewhere(sameAddress),
        summary: `nothing listens at ${dial}, but ${sameAddress.process ?? 'a backend'} listens on the same port at ${sameAddress.address}`,
        evidence,
      };
    }
    const best = plausible[0];
    if (best) {
      const alternatives: Alternative<Outcome>[] = [
        ...plausible.slice(0, 4).map(
          (l): Alternative<Outcome> => ({
            label: `${describeListener(l)} is the backend`,
            outcome: 'other-port',
            facts: elsewhere(l),
            summary: `nothing listens at ${dial}, but ${l.process ?? 'the backend'} listens at ${l.address}:${l.port}`,
          }),
        ),
        { label: 'None of these: the backend is not running', outcome: 'down', facts: { ...base, 'backend.running': false }, summary: downSummary },
      ];
      evidence.push({ lines: [`taken as the backend: ${describeListener(best)} (the nearest port that answers like a backend)`], note: 'if it is not your backend, the backend is down' });
      return {
        outcome: 'other-port',
        facts: elsewhere(best),
        summary: `nothing listens at ${dial}, but ${best.process ?? 'a backend'} listens at ${best.address}:${best.port}`,
        evidence,
        ask: { question: `Nothing listens at ${dial}. Which of these is the backend nginx should reach?`, alternatives },
      };
    }
    return { outcome: 'down', facts: { ...base, 'backend.running': false }, summary: downSummary, evidence };
  },
});
