import { afterAll, describe, it } from 'vitest';
import { compareWithEngine, disagreementTable, requestsIn, type Disagreement } from './lab/route-oracle-compare.js';
import { exchange, oracleProblems, type Exchange, type VerdictKind } from './lab/route-oracle.js';
import { loadCase, oracleCaseNames, startSite } from './lab/route-oracle-site.js';
import { labScope } from './lab/scope.js';

/**
 * The differential routing suite: each config of test/fixtures/route-oracle runs in a real nginx whose
 * every `*_pass` is a backend of its own; what nginx did with each request (from its access log) is the
 * truth, and our route (parseDump of nginx -T, then resolveRoute) must say the same.
 */

const { later } = labScope();
const names = oracleCaseNames();
const all: Disagreement[] = [];
let configs = 0;
let requests = 0;
const kinds: Record<VerdictKind, number> = { proxied: 0, served: 0, redirect: 0, return: 0 };

describe('routing agrees with real nginx', () => {
  for (const name of names) {
    it(name, async () => {
      const oracleCase = loadCase(name);
      const site = await startSite(oracleCase, later);
      const exchanges: Exchange[] = [];
      for (const [i, req] of oracleCase.requests.entries()) exchanges.push(await exchange(site, req, `${name}-${i + 1}`));
      configs += 1;
      requests += exchanges.length;

      // The oracle first: an answer nginx gave for a reason other than the config (a backend that failed,
      // no log line) or one the case did not expect proves nothing about the engine.
      const oracle = oracleProblems(site, exchanges);
      if (oracle.length) throw new Error(`the oracle side of ${name} is not sound:\n  ${oracle.join('\n  ')}`);
      for (const x of exchanges) if (x.verdict) kinds[x.verdict.kind] += 1;

      const rows = await compareWithEngine(name, site, exchanges);
      all.push(...rows);
      if (rows.length) throw new Error(`${requestsIn(rows)} of ${exchanges.length} requests routed unlike nginx:\n${disagreementTable(rows)}`);
    });
  }

  afterAll(() => {
    const verdicts = Object.entries(kinds)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ');
    const summary = `route oracle: ${configs} configs, ${requests} requests sent (nginx: ${verdicts}), ${requestsIn(all)} routed unlike nginx`;
    console.log(all.length ? `${summary}\n${disagreementTable(all)}` : summary);
  });
});
