import type { Catalog } from '../../../src/flow/lint.js';

/** A small catalog for lint tests: two checks and one planner, independent of the real checks. */
export const TINY_CATALOG: Catalog = {
  checks: {
    'probe.a': { outcomes: ['yes', 'no'], needs: [], learns: ['upstream.target'], learnsOn: { yes: ['backend.port'] } },
    'probe.b': { outcomes: ['up', 'down'], needs: ['upstream.target'], learns: [] },
  },
  planners: { 'point-at-port': { needs: ['backend.port'] } },
};

export const GOOD_FLOW = `id: tiny
title: a tiny flow
start: first
nodes:
  first:
    title: First
    why: Because it comes first.
    check: probe.a
    on:
      yes: second
      no: give-up
  second:
    title: Second
    why: Because the first said yes.
    check: probe.b
    on:
      up: fix-it
      down: fix-it
  fix-it:
    title: Fix it
    cause: wrong-port
    why: The backend listens on {{backend.port}}.
    plan: point-at-port
  give-up:
    title: Give up
    end: escalate
    cause: unknown
    why: Nothing fits {{upstream.target}}.
`;
