/**
 * The diagnosis again after a change: from the error-log step (the request is sent once more and the
 * new line read), or from reading the config when nginx's config changed, since routing facts learned
 * from the old config no longer hold. The failing request stays the same.
 */
import { checkById } from '../checks/index.js';
import { currentNode, factsOf, type Session } from '../engine/session.js';
import type { Finding } from '../fixes/apply/run.js';
import type { HostSet } from '../hosts/host-set.js';
import { render } from '../flow/template.js';
import { walkToEnd } from './driver.js';

function indexOfCheck(session: Session, check: string): number {
  return session.trail.findIndex((step) => {
    const node = session.flow.nodes[step.node];
    return node?.kind === 'step' && checkById(node.check).id === check;
  });
}

/** The session rewound to where the diagnosis starts again, with the request pinned. */
export function rewound(session: Session, configChanged: boolean): Session {
  const facts = factsOf(session);
  const at = configChanged ? indexOfCheck(session, 'nginx.config') : indexOfCheck(session, 'nginx.error-log');
  const from = at >= 0 ? at : Math.max(indexOfCheck(session, 'nginx.error-log'), 0);
  const pinned = facts['request.url'] ? { 'request.url': facts['request.url'], 'request.method': facts['request.method'] ?? 'GET' } : {};
  return { ...session, inputs: { ...session.inputs, ...pinned }, trail: session.trail.slice(0, from) };
}

function filled(template: string, session: Session): string {
  try {
    return render(template, factsOf(session));
  } catch {
    return template;
  }
}

export function findingOf(session: Session, fromStep: number): Finding {
  const node = currentNode(session);
  const steps = session.trail.slice(fromStep).map((s) => ({ node: s.node, outcome: s.outcome, summary: s.summary }));
  return {
    cause: node.kind === 'step' ? null : node.kind === 'end' && node.end === 'healthy' ? null : (node.cause ?? 'unknown'),
    title: filled(node.title, session),
    summary: steps.find((s) => s.node === 'error-log')?.summary ?? steps.at(-1)?.summary ?? '',
    steps,
  };
}

export async function rediagnose(session: Session, hosts: HostSet, configChanged: boolean, signal?: AbortSignal): Promise<Finding> {
  const start = rewound(session, configChanged);
  // The fix changed the box: nothing it answered before counts.
  hosts.cache.clear();
  const walked = await walkToEnd(start, hosts, signal);
  return findingOf(walked, start.trail.length);
}
