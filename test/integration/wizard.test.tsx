import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { loadFlowFile } from '../../src/flow/loader.js';
import { defaultFlowFile } from '../../src/flow-files/locate.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { KEY, press, waitForFrame } from '../ui/keys.js';
import { startTcpBackend } from './lab/backend.js';
import { startNginx } from './lab/nginx.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const { later } = labScope();

describe('the wizard on a real broken nginx', () => {
  it('walks step by step to the wrong-port fix, showing evidence from the box', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    const backend = await startTcpBackend('127.0.0.1', actual);
    later(() => backend.stop());
    const site = await startNginx({ server: `location / { proxy_pass http://127.0.0.1:${dialled}; }` });
    later(
      () => site.remove(),
      () => site.stop(),
    );

    const store = createSessionStore({ flow: loadFlowFile(defaultFlowFile()), hosts: singleHost(new LocalHost()), inputs: { 'request.url': `http://127.0.0.1:${site.port}/` } });
    const view = render(<App store={store} />);
    later(() => view.unmount());

    let frame = await waitForFrame(view.lastFrame, (f) => f.includes('Continue: Read the configuration'));
    expect(frame).toContain(`-c ${site.confFile}`);
    const seen: string[] = [];
    for (const next of ['Continue: Pick the request', 'Continue: Follow the request', 'Continue: Read what nginx said', 'Continue: Socket or TCP?', 'Continue: Is the backend listening']) {
      await press(view.stdin, view.lastFrame, KEY.enter);
      frame = await waitForFrame(view.lastFrame, (f) => f.includes(next));
      seen.push(frame);
    }
    // The error log evidence: the line nginx wrote for our replay, from the log only the config names.
    expect(seen[3]).toContain('111: Connection refused');
    expect(seen[3]).toContain(site.errorLog);
    expect(frame).toContain('nginx dials TCP 127.0.0.1:');
    await press(view.stdin, view.lastFrame, KEY.enter);
    // Only the admin knows which listener is the backend: the wizard asks, nearest port first.
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('Which of these is the backend nginx should reach?'));
    expect(frame).toContain(`127.0.0.1:${actual} python3`);
    expect(frame).toContain('None of these: the backend is not running');
    await press(view.stdin, view.lastFrame, KEY.enter);
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    await press(view.stdin, view.lastFrame, KEY.enter);
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: wrong-port'));
    expect(frame).toContain(`+ proxy_pass http://127.0.0.1:${actual};`);
    expect(frame.replace(/\s+/g, ' ')).toContain(`-p ${site.prefix}/ -g 'daemon off;' -s reload`);
  });
});
