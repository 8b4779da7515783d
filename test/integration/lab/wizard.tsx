import { render } from 'ink-testing-library';
import { requestFacts } from '../../../src/facts/request.js';
import { loadFlowFile } from '../../../src/flow/loader.js';
import type { Host } from '../../../src/hosts/host.js';
import { singleHost } from '../../../src/hosts/host-set.js';
import { LocalHost } from '../../../src/hosts/local.js';
import { defaultFlowFile } from '../../../src/flow-files/locate.js';
import { createSessionStore } from '../../../src/store/wizard-store.js';
import { App } from '../../../src/ui/app.js';
import { KEY, press, waitForFrame } from '../../ui/keys.js';

const FINAL = /Cause: |Show the result/;

/**
 * Walks the real wizard on this box for a URL, as a person in a hurry would: "Run the remaining steps",
 * the first answer to any question (the nearest match, as --json takes), then "Show the result".
 * Returns the last frame: the fix screen.
 */
export async function walkWizard(url: string, host: Host = new LocalHost()): Promise<string> {
  const store = createSessionStore({ flow: loadFlowFile(defaultFlowFile()), hosts: singleHost(host), inputs: requestFacts(url) });
  const view = render(<App store={store} />);
  try {
    await waitForFrame(view.lastFrame, (f) => f.includes('Run the remaining steps'), 30_000);
    await press(view.stdin, view.lastFrame, KEY.down);
    await press(view.stdin, view.lastFrame, KEY.enter);
    for (let asked = 0; asked < 12; asked++) {
      const frame = await waitForFrame(view.lastFrame, (f) => FINAL.test(f) || /\?\n/.test(f) || f.includes('✗ step'), 60_000);
      if (frame.includes('Cause: ')) return frame;
      await press(view.stdin, view.lastFrame, KEY.enter);
    }
    return await waitForFrame(view.lastFrame, (f) => f.includes('Cause: '), 10_000);
  } finally {
    store.getState().quit();
    view.unmount();
  }
}
