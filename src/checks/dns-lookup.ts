import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import { effectiveDirective } from '../nginx/route.js';
import { hostOfPass } from '../nginx/upstream-tls.js';
import { parseAhosts } from '../system/getent.js';
import { parseHostsFile, parseResolvConf } from '../system/resolv-conf.js';
import { defineCheck, type CheckResult } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { routeOf } from '../facts/route.js';

const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const RESOLV = '/etc/resolv.conf';
const HOSTS = '/etc/hosts';
// nginx's resolver errors: 3 is "Host not found"; 110, 111 and "send() failed" mean no resolver answered;
// 2 ("Server failure") and 5 ("Operation refused") mean the resolver answered but would not resolve.
const RESOLVER_FAILED = /\((?:110|111|2|5): /;
const OUTCOMES = ['no-resolver', 'resolver-failed', 'resolves-here', 'not-found'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** The name nginx could not resolve: the classifier's detail, else the host written in the pass directive. */
function nameOf(facts: KnownFacts): string | null {
  const detail = need(facts, 'error.detail');
  if (NAME.test(detail)) return detail;
  const pass = routeOf(facts)?.pass?.directive.args[0];
  const host = pass ? hostOfPass(pass) : '';
  return NAME.test(host) ? host : null;
}

function resolverOf(facts: KnownFacts): string {
  const route = routeOf(facts);
  const d = route ? effectiveDirective(route, 'resolver') : null;
  return d ? `${d.args.join(' ')} (${d.file}:${d.line})` : 'none';
}

/**
 * nginx resolves a name written with variables (or with `resolve`) at request time, with its own `resolver`,
 * which never reads /etc/hosts. getent asks the box's resolver (/etc/hosts, then DNS), as nginx does once
 * at startup for plain names: the two answers side by side tell where the name gets lost.
 */
export const dnsLookup = defineCheck({
  id: 'dns.lookup',
  guide: 'dns',
  outcomes: OUTCOMES,
  needs: ['error.detail', 'error.latest', 'nginx.config', 'request.port', 'request.hostHeader', 'request.path', 'request.url'],
  early: 'first-round',
  learns: ['dns.resolver', 'dns.nameservers'],
  learnsOn: { 'resolves-here': ['dns.now'] },

  plan(facts, done) {
    if (done.length) return [];
    const name = nameOf(facts);
    return [...(name ? [{ argv: ['getent', 'ahosts', '--', name], timeoutMs: 8000 }] : []), { argv: ['head', '-c', '8192', '--', RESOLV] }, { argv: ['head', '-c', '65536', '--', HOSTS] }];
  },

  interpret(facts, results) {
    const message = need(facts, 'error.latest').message;
    const name = nameOf(facts) ?? need(facts, 'error.detail');
    const resolver = resolverOf(facts);
    const resolv = resultOf(results, 'head', '-c', '8192');
    const nameservers = resolv?.code === 0 ? parseResolvConf(resolv.stdout) : [];
    const hostsRun = resultOf(results, 'head', '-c', '65536');
    const inHosts = hostsRun?.code === 0 ? parseHostsFile(hostsRun.stdout).filter((h) => h.names.includes(name.toLowerCase())) : [];
    const getent = resultOf(results, 'getent');
    const now = getent?.code === 0 ? parseAhosts(getent.stdout) : [];

    const evidence: Evidence[] = [
      { lines: [`nginx's resolver: ${resolver}`], note: 'nginx uses it for names it resolves while running' },
      {
        command: shownCommand(['getent', 'ahosts', '--', name]),
        lines: now.length ? [`${name} resolves here to ${now.join(', ')}`] : [`${name} does not resolve here either (exit ${getent?.code ?? 'none'})`],
      },
      { command: shownCommand(['head', '-c', '8192', '--', RESOLV]), lines: [nameservers.length ? `this box asks ${nameservers.join(', ')}` : 'no nameserver line'] },
    ];
    if (inHosts.length)
      evidence.push({
        command: shownCommand(['head', '-c', '65536', '--', HOSTS]),
        lines: inHosts.map((h) => `${h.address} ${h.names.join(' ')}`),
        note: `${name} is written in ${HOSTS}, which nginx's resolver never reads`,
      });
    const learned: KnownFacts = { 'dns.resolver': resolver, 'dns.nameservers': nameservers.join(' ') };
    const result = (outcome: Outcome, summary: string, extra: KnownFacts = {}): CheckResult<Outcome> => ({ outcome, facts: { ...learned, ...extra }, summary, evidence });

    if (/^no resolver defined/.test(message)) {
      return result('no-resolver', `nginx resolves ${name} at request time but no resolver is defined${now.length ? `; here it resolves to ${now.join(', ')}` : ''}`);
    }
    if (RESOLVER_FAILED.test(message) || / while resolving\b/.test(message)) {
      return result('resolver-failed', `nginx's resolver (${resolver}) did not answer for ${name}`);
    }
    if (now.length) {
      return result('resolves-here', `${name} resolves here to ${now.join(', ')}${inHosts.length ? ` (from ${HOSTS})` : ''}, but not through nginx's resolver`, { 'dns.now': now.join(', ') });
    }
    return result('not-found', `${name} does not resolve, for nginx or for this box`);
  },
});
