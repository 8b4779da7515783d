/** The lab's boxes are the ones `badgateway practice --live` builds (src/live/box.ts). */
export * from '../../../src/live/box.js';
