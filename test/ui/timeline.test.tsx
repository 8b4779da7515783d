import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryReport } from '../../src/history/types.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { KEY, press, waitForFrame } from './keys.js';
import { FLOW, NO_COMMANDS, sessionAlong } from './sessions.js';

const unmounts: (() => void)[] = [];
afterEach(() => unmounts.splice(0).forEach((u) => u()));

/** The history a restart window left (the shape of incidents/shop-night-blip.json), with a hostile path. */
const HISTORY: HistoryReport = {
  since: '2026-12-06T03:10:00',
  until: '2026-12-06T03:20:00',
  episodes: [
    {
      cause: 'backend-down',
      story: 'restart-window',
      first: '2026-12-06T03:12:04',
      last: '2026-12-06T03:12:09',
      count: 4,
      upstream: '127.0.0.1:8000',
      location: '/\x1b[2Jcart',
      evidence: ["supervisord: 2026-12-06 03:12:09,661 INFO spawned: 'shop' with pid 71"],
    },
  ],
  per_minute: [{ t: '2026-12-06T03:12', '502': 4, '504': 0 }],
  notes: [],
  markers: [{ t: '2026-12-06T03:12', kind: 'restart' }],
};

describe('the wizard after history', () => {
  it('shows 502s and 504s per minute with the restart marker, the episode under it, host text stripped of controls', async () => {
    const session = sessionAlong([
      { outcome: 'running', summary: 'nginx runs' },
      { outcome: 'valid', summary: 'config read' },
      { outcome: 'given', summary: 'the failing request', learned: { 'request.url': 'http://shop.example/' } },
      { outcome: 'proxied', summary: 'location / sends it to 127.0.0.1:8000', learned: { 'upstream.target': '127.0.0.1:8000' } },
      { outcome: 'healthy', summary: 'nginx answers 200 now' },
      {
        outcome: 'restart-window',
        summary: '4 failures',
        learned: { 'history.report': HISTORY, 'history.summary': '2026-12-06 03:12:04 to 03:12:09: 4 failures', 'history.advice': 'Restart it without a gap next time.' },
      },
    ]);
    const view = render(<App store={createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), session })} />);
    unmounts.push(view.unmount);
    await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('What happened before\n'));
    expect(frame).toContain('502 █  4');
    expect(frame).toContain('504 ·  0');
    expect(frame).toMatch(/\n\s+R\s*\n/);
    expect(frame).toContain('1. 2026-12-06 03:12:04 to 03:12:09  4× backend-down (restart-window)  127.0.0.1:8000 /cart');
    expect(frame).not.toContain('\x1b[2J');
    expect(frame).toContain('The backend was restarting (it is over now)');
  });
});
