import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestFacts } from '../../src/facts/request.js';
import { loadFlowFile } from '../../src/flow/loader.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { LocalHost } from '../../src/hosts/local.js';
import { defaultFlowFile } from '../../src/flow-files/locate.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { KEY, press, waitForFrame } from '../ui/keys.js';
import { answer, journalOf, stateDir } from './lab/apply.js';
import { startTcpBackend } from './lab/backend.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';

const { later, nginx, own, phpFpm, scratchDir } = labScope();

let state: string;
const saved = process.env.BADGATEWAY_STATE_DIR;
beforeEach(() => {
  state = stateDir(later);
  process.env.BADGATEWAY_STATE_DIR = state;
});
afterEach(() => {
  if (saved === undefined) delete process.env.BADGATEWAY_STATE_DIR;
  else process.env.BADGATEWAY_STATE_DIR = saved;
});

/** The real wizard on this box, walked to its fix screen the quick way (first answer to any question). */
async function toFixScreen(url: string) {
  const store = createSessionStore({ flow: loadFlowFile(defaultFlowFile()), hosts: singleHost(new LocalHost()), inputs: requestFacts(url) });
  const view = render(<App store={store} />);
  later(() => {
    store.getState().quit();
    view.unmount();
  });
  await waitForFrame(view.lastFrame, (f) => f.includes('Run the remaining steps'), 30_000);
  await press(view.stdin, view.lastFrame, KEY.down);
  await press(view.stdin, view.lastFrame, KEY.enter);
  for (let asked = 0; asked < 12; asked++) {
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: ') || f.includes('Show the result') || /\?\n/.test(f), 60_000);
    if (frame.includes('Cause: ')) break;
    await press(view.stdin, view.lastFrame, KEY.enter);
  }
  await waitForFrame(view.lastFrame, (f) => f.includes('Apply this fix'), 10_000);
  return { store, view };
}

/** Apply this fix -> consent -> Yes. */
async function consentAndApply(view: Awaited<ReturnType<typeof toFixScreen>>['view']): Promise<string> {
  await press(view.stdin, view.lastFrame, KEY.enter);
  const consent = await waitForFrame(view.lastFrame, (f) => f.includes('Yes: apply it now'), 20_000);
  await press(view.stdin, view.lastFrame, KEY.down);
  await press(view.stdin, view.lastFrame, KEY.enter);
  return consent;
}

describe('the wizard applies a fix once the person says yes', () => {
  it('wrong-port: consent, each step shown as it runs, fixed and verified', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const { view, store } = await toFixScreen(url);
    const consent = await consentAndApply(view);
    expect(consent).toMatch(new RegExp(`\\+\\s+upstream app \\{ server 127\\.0\\.0\\.1:${actual}; \\}`));
    const done = await waitForFrame(view.lastFrame, (f) => f.includes('Fixed and verified') || f.includes('Not fixed'), 60_000);
    expect(done).toContain('Fixed and verified: nginx answered 200');
    expect(done).toMatch(/started new workers/);
    expect(done).toContain(`Journal: ${state}/journal.jsonl`);
    expect(done).not.toContain('Diagnose again');
    expect(readFileSync(site.confFile, 'utf8')).toContain(`server 127.0.0.1:${actual};`);
    expect((await answer(url)).status).toBe(200);
    expect(journalOf(state).map((r) => r.event)).toEqual(['begin', 'applied']);
    expect(store.getState().apply).toMatchObject({ stage: 'done', outcome: { verified: true } });
  });

  it('a fix that does not help: rolled back, the new finding shown, and "Diagnose again" runs from the error log', async () => {
    const dir = scratchDir();
    const fpm = await phpFpm({ listen: join(dir, 'app.sock') });
    const site = await nginx({
      user: 'nobody nogroup',
      server: `location / { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME ${fpm.docroot}/index.php; fastcgi_pass unix:${join(dir, 'old-app.sock')}; }`,
    });
    const url = `http://127.0.0.1:${site.port}/`;
    const config = readFileSync(site.confFile, 'utf8');
    const { view, store } = await toFixScreen(url);
    await consentAndApply(view);
    const done = await waitForFrame(view.lastFrame, (f) => f.includes('Fixed and verified') || f.includes('Not fixed'), 90_000);
    expect(done).toContain('Not fixed: the request still fails');
    expect(done).toContain('Rolled back: the box is as it was before.');
    expect(done).toContain('With the change in place the diagnosis found: Cause: socket-permission');
    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    expect(done).toContain('Diagnose again');
    await press(view.stdin, view.lastFrame, KEY.enter);
    // Rolled back, so the diagnosis from the error log walks to the first cause again, asking on the way.
    const again = await waitForFrame(view.lastFrame, (f) => f.includes('Which php-fpm pool should serve'), 60_000);
    expect(again).toContain('does not exist');
    expect(store.getState().apply).toBeNull();
    const nodes = store.getState().session.trail.map((s) => s.node);
    expect(nodes.slice(0, 4)).toEqual(['find-nginx', 'read-config', 'failing-request', 'route']);
    expect(nodes).toContain('error-log');
  }, 180_000);

  it('Ctrl-C while applying (the wizard quits): the apply stops at its next step and rolls back', async () => {
    const dialled = await freePort();
    const actual = await freePort();
    own(await startTcpBackend('127.0.0.1', actual));
    const site = await nginx({ http: `upstream app { server 127.0.0.1:${dialled}; }`, server: 'location / { proxy_pass http://app; }' });
    const url = `http://127.0.0.1:${site.port}/`;
    const config = readFileSync(site.confFile, 'utf8');
    const { view, store } = await toFixScreen(url);
    // Hold the apply right after the new config went in, before the reload.
    process.env.BADGATEWAY_PAUSE_AT = 'reload';
    later(() => {
      delete process.env.BADGATEWAY_PAUSE_AT;
    });
    await consentAndApply(view);
    await waitForFrame(view.lastFrame, (f) => f.includes('applying the fix'), 20_000);
    for (let i = 0; i < 200 && readFileSync(site.confFile, 'utf8') === config; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(site.confFile, 'utf8')).not.toBe(config);
    // What the wizard does on Ctrl-C: quit, then wait for the apply before closing the connection.
    store.getState().quit();
    await store.getState().applying();
    expect(store.getState().apply).toMatchObject({ stage: 'done', outcome: { interrupted: true, rolledBack: true, verified: false } });
    expect(readFileSync(site.confFile, 'utf8')).toBe(config);
    expect((await answer(url)).status).toBe(502);
    expect(journalOf(state).map((r) => r.event)).toEqual(['begin', 'rolled-back']);
  });
});
