/** The plain lab's causes set up on the real stacks (src/live/stacks-causes.ts). */
export * from '../../../src/live/stacks-causes.js';
