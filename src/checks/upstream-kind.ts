import { defineCheck } from './check.js';
import { need } from '../facts/need.js';

/** Does nginx dial TCP or a unix socket? Pure: the route already said; this makes the flow branch on it. */
export const upstreamKind = defineCheck({
  id: 'upstream.kind',
  guide: 'upstream-config',
  outcomes: ['tcp', 'unix'],
  needs: ['upstream.kind', 'upstream.target'],
  learns: [],
  learnsOn: { tcp: ['upstream.host', 'upstream.port'], unix: ['upstream.socket'] },
  plan: () => [],
  interpret(facts) {
    const kind = need(facts, 'upstream.kind');
    const target = need(facts, 'upstream.target');
    return {
      outcome: kind,
      facts: {},
      summary: kind === 'unix' ? `nginx dials the unix socket ${need(facts, 'upstream.socket')}` : `nginx dials TCP ${target}`,
      evidence: [],
    };
  },
});
