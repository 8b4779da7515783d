import { crashLoopUnderSupervisor, restartWindow } from './history-situations.js';
import type { Scenario } from './incidents.js';

/** Practice incidents whose 502s are over by the time anyone looks (issue 15): only history tells. */
export const HISTORY_SCENARIOS: Scenario[] = [
  {
    id: 'shop-night-blip',
    cause: 'backend-down',
    title: 'A burst of 502s in the night; the shop works now',
    story:
      'Monitoring paged at night: shop.example answered 502 Bad Gateway to a handful of requests for a second or two, then recovered by itself. It answers now. What happened, and will it happen again at the next deploy?',
    async setup(lab) {
      const stack = await restartWindow();
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
  {
    id: 'api-flapping-release',
    cause: 'backend-crashed',
    title: 'The API answered 502 for a while after a release, then came back',
    story:
      "After this afternoon's release of the API on api.example, clients saw 502 Bad Gateway for a few seconds, then it came back on its own; the release was rolled forward with a fixed settings file. Everything answers now. The developers ask what the API was doing.",
    async setup(lab) {
      const stack = await crashLoopUnderSupervisor();
      lab.later(() => stack.box.remove());
      return { url: stack.url, wrap: stack.box.exec };
    },
  },
];
