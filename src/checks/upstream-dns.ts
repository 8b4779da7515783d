import type { Evidence } from '../facts/evidence.js';
import { shownCommand } from '../shell/quote.js';
import { isIpLiteral, parseAhosts, upstreamFieldAddress } from '../system/getent.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { bare } from '../facts/addresses.js';

/**
 * Did nginx dial the address the upstream's name has now? nginx resolves a name in proxy_pass or an
 * upstream server once, when it loads its config; the error log's upstream field shows the address it
 * really used, getent what the name means now.
 */
export const upstreamDns = defineCheck({
  id: 'upstream.dns',
  guide: 'dns',
  outcomes: ['changed', 'same', 'literal', 'unknown'],
  needs: ['upstream.host'],
  early: 'first-round',
  learns: [],
  learnsOn: { changed: ['dns.now', 'dns.used'], same: ['dns.now', 'dns.used'] },

  plan(facts, done) {
    const host = bare(need(facts, 'upstream.host'));
    if (done.length || isIpLiteral(host)) return [];
    return [{ argv: ['getent', 'ahosts', '--', host], timeoutMs: 5000 }];
  },

  interpret(facts, results) {
    const host = bare(need(facts, 'upstream.host'));
    if (isIpLiteral(host)) return { outcome: 'literal', facts: {}, summary: `nginx dials the address ${host} itself: no name to resolve`, evidence: [] };
    const field = facts['error.latest']?.upstream;
    const used = field ? upstreamFieldAddress(field) : null;
    const run = resultOf(results, 'getent');
    const now = parseAhosts(run?.stdout ?? '');
    const evidence: Evidence[] = [
      { command: shownCommand(['getent', 'ahosts', '--', host]), lines: now.length ? now.map((a) => `${host} is ${a} now`) : [`${host} does not resolve now (exit ${run?.code ?? '?'})`] },
    ];
    if (!used || !now.length) {
      evidence.push({ probe: 'error log upstream field', lines: [field ? `upstream: "${field}"` : 'no error log line names the address nginx used'] });
      return { outcome: 'unknown', facts: {}, summary: `cannot compare: ${!used ? 'the address nginx used is not known' : `${host} does not resolve now`}`, evidence };
    }
    evidence.push({ probe: 'error log upstream field', lines: [`upstream: "${field}": nginx dialled ${used}`] });
    if (now.includes(used)) {
      return { outcome: 'same', facts: { 'dns.now': now.join(', '), 'dns.used': used }, summary: `${host} still resolves to ${used}, the address nginx dialled`, evidence };
    }
    return {
      outcome: 'changed',
      facts: { 'dns.now': now.join(', '), 'dns.used': used },
      summary: `nginx dialled ${used}, but ${host} resolves to ${now.join(', ')} now: nginx still uses the address it resolved at load`,
      evidence,
    };
  },
});
