/** The flow's teaching text as the person reads it: templates filled from what the session learned. */
import type { KnownFacts } from '../facts/keys.js';
import type { EndNode, FixNode } from '../flow/schema.js';
import { render } from '../flow/template.js';

/** A text of the flow with its `{{fact}}`s filled in; the text as written when a fact is not known. */
export function filled(template: string, facts: KnownFacts): string {
  try {
    return render(template, facts);
  } catch {
    return template;
  }
}

/** What the end of the walk says: its title, why, and a fix's caution, filled from the facts. */
export function endText(node: FixNode | EndNode, facts: KnownFacts): { title: string; why: string; caution: string | null } {
  return {
    title: filled(node.title, facts),
    why: filled(node.why, facts),
    caution: node.kind === 'fix' && node.caution ? filled(node.caution, facts) : null,
  };
}
