/** Crashing backends on the lab's stacks, where practice --live can build scenarios from them too (src/live/stacks-crash.ts). */
export * from '../../../src/live/stacks-crash.js';
