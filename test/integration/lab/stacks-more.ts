/** The lab's extra breakages live beside its stacks, where practice --live builds scenarios from them (src/live/stacks-more.ts). */
export * from '../../../src/live/stacks-more.js';
