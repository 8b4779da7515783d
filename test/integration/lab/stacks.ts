/** The lab's stacks are the ones `badgateway practice --live` builds its scenarios from (src/live/stacks.ts). */
export * from '../../../src/live/stacks.js';
