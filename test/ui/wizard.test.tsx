import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/nginx/parse-dump.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { colorsEnabled } from '../../src/ui/theme.js';
import { KEY, press, waitForFrame } from './keys.js';
import { FLOW, NEVER_ANSWERS, NO_COMMANDS, sessionAlong } from './sessions.js';

const CONF = '/etc/nginx/sites-enabled/app';
const configText = 'upstream app {\n    server 127.0.0.1:9001;\n}\nserver {\n    listen 8080;\n    location / { proxy_pass http://app; }\n}\n';

function wrongPortSession() {
  const { parsed } = parseConfigText(configText, CONF);
  return sessionAlong([
    { outcome: 'running', summary: 'nginx 1.22.1 runs as pid 100', learned: { 'nginx.test': ['nginx', '-t'], 'nginx.reload': ['systemctl', 'reload', 'nginx'] } },
    {
      outcome: 'valid',
      summary: '2 config files read; workers run as www-data',
      learned: { 'nginx.config': { files: [{ file: CONF, parsed }], tree: parsed, errors: [] }, 'nginx.workerUser': 'www-data' },
    },
    { outcome: 'given', summary: 'the failing request: GET http://127.0.0.1:8080/', learned: { 'request.url': 'http://127.0.0.1:8080/' } },
    {
      outcome: 'proxied',
      summary: 'location / sends it to 127.0.0.1:9001',
      learned: { 'upstream.target': '127.0.0.1:9001', 'upstream.host': '127.0.0.1', 'upstream.port': 9001, 'upstream.place': { file: CONF, line: 2 } },
    },
    { outcome: 'refused', summary: 'nginx says: connect() failed (111: Connection refused)', lines: ['connect() failed (111: Connection refused) while connecting to upstream'] },
    { outcome: 'tcp', summary: 'nginx dials TCP 127.0.0.1:9001' },
    {
      outcome: 'other-port',
      summary: 'nothing listens at 127.0.0.1:9001, but python3 listens at 127.0.0.1:9002',
      learned: { 'backend.listenAt': '127.0.0.1:9002', 'backend.port': 9002, 'backend.process': 'python3' },
    },
  ]);
}

const unmounts: (() => void)[] = [];
afterEach(() => unmounts.splice(0).forEach((u) => u()));

function mount(store: ReturnType<typeof createSessionStore>) {
  const view = render(<App store={store} />);
  unmounts.push(view.unmount);
  return view;
}

describe('the wizard', () => {
  it('shows the first step and a spinner before any check has finished', async () => {
    const view = mount(createSessionStore({ flow: FLOW, hosts: singleHost(NEVER_ANSWERS) }));
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('checking'));
    expect(frame).toContain('Find the nginx that answers');
    expect(frame).toContain('Why now:');
  });

  it('keeps the last step on screen, then shows the fix: the edit, the commands, the cause', async () => {
    const view = mount(createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), session: wrongPortSession() }));
    let frame = await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    expect(frame).toContain('Is the backend listening where nginx dials?');
    expect(frame).toContain('python3 listens at 127.0.0.1:9002');
    frame = await press(view.stdin, view.lastFrame, KEY.enter);
    frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: wrong-port'));
    expect(frame).toContain(`Change ${CONF}:2`);
    expect(frame).toContain('- server 127.0.0.1:9001;');
    expect(frame).toContain('+ server 127.0.0.1:9002;');
    expect(frame).toContain('$ nginx -t');
    expect(frame).toContain('$ systemctl reload nginx');
  });

  it('fits the fix screen in 80x24', async () => {
    // ink-testing-library's terminal is 100 columns wide; an 80-column box stands for an 80x24 terminal.
    const view = render(
      <Box width={80}>
        <App store={createSessionStore({ flow: FLOW, hosts: singleHost(NO_COMMANDS), session: wrongPortSession() })} />
      </Box>,
    );
    unmounts.push(view.unmount);
    await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: wrong-port'));
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('moves through the menu: Back runs the last step again', async () => {
    const store = createSessionStore({ flow: FLOW, hosts: singleHost(NEVER_ANSWERS), session: wrongPortSession() });
    const view = mount(store);
    await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    await press(view.stdin, view.lastFrame, KEY.down);
    const frame = await press(view.stdin, view.lastFrame, KEY.enter);
    await waitForFrame(view.lastFrame, (f) => f.includes('checking'));
    expect(frame).not.toContain('Cause:');
    expect(store.getState().session.trail).toHaveLength(6);
  });

  it('turns colours off when NO_COLOR is set', () => {
    expect(colorsEnabled({ NO_COLOR: '1' })).toBe(false);
    expect(colorsEnabled({})).toBe(true);
  });
});
