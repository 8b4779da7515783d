import { checkById } from '../checks/index.js';
import { GUIDE_STEPS, type GuideStep } from '../flow/guide-steps.js';

/** The guide step a check's result teaches, so practice can say "review: Read the error log first"; a backend found running in docker points at containers. */
export function guideStepFor(check: string, outcome?: string): { id: GuideStep; title: string } {
  const id: GuideStep = outcome === 'docker' ? 'containers' : checkById(check).guide;
  return { id, title: GUIDE_STEPS[id] };
}
