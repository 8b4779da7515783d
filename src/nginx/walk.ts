import type { Directive } from './config-types.js';

/** Every directive of a config tree, depth first, blocks after their opening directive. */
export function* walk(directives: Directive[]): Generator<Directive> {
  for (const d of directives) {
    yield d;
    if (d.block) yield* walk(d.block);
  }
}
