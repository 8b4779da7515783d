import { defineCheck } from './check.js';

/** nginx's answers that mean the upstream failed (as nginx.error-log counts them). */
const FAILING = new Set([502, 503, 504]);

/**
 * Is the failure nginx logged over now? Pure: nginx.error-log replayed the request a moment ago; when nginx
 * answered it, the earlier line the live checks followed is history, and history says what happened.
 */
export const historyOver = defineCheck({
  id: 'history.over',
  guide: 'error-log',
  outcomes: ['over', 'ongoing'],
  needs: ['request.url'],
  learns: [],
  plan: () => [],
  interpret(facts) {
    const status = facts['probe.status'];
    if (status === undefined || status === 0 || FAILING.has(status)) {
      return {
        outcome: 'ongoing',
        facts: {},
        summary: status ? `nginx answered our replay with ${status}: it fails now` : 'the request was not replayed: we take it as failing now',
        evidence: [],
      };
    }
    return {
      outcome: 'over',
      facts: {},
      summary: `nginx answered our replay of ${facts['request.url']} with ${status} a moment ago: the failure in its log is over`,
      evidence: [{ lines: [`our replay got ${status}; the error line the checks followed was written earlier`], note: 'nginx.error-log replayed the request' }],
    };
  },
});
