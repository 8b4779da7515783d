import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResult, CommandSpec, Host } from '../../src/hosts/host.js';
import { singleHost } from '../../src/hosts/host-set.js';
import { parseConfigText } from '../../src/nginx/parse-dump.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { KEY, press, waitForFrame } from './keys.js';
import { FLOW, sessionAlong } from './sessions.js';

const CONF = '/etc/nginx/sites-enabled/app';
const CONFIG = 'upstream app {\n    server 127.0.0.1:9001;\n}\nserver {\n    listen 8080;\n    location / { proxy_pass http://app; }\n}\n';

function wrongPortSession() {
  const { parsed } = parseConfigText(CONFIG, CONF);
  return sessionAlong([
    {
      outcome: 'running',
      summary: 'nginx 1.22.1 runs as pid 100',
      learned: { 'nginx.test': ['nginx', '-t'], 'nginx.reload': ['systemctl', 'reload', 'nginx'], 'nginx.confPath': '/etc/nginx/nginx.conf', 'nginx.masterPid': 100, 'nginx.args': [] },
    },
    {
      outcome: 'valid',
      summary: '2 config files read; workers run as www-data',
      learned: { 'nginx.config': { files: [{ file: CONF, parsed }], tree: parsed, errors: [] }, 'nginx.workerUser': 'www-data' },
    },
    { outcome: 'given', summary: 'the failing request: GET http://127.0.0.1:8080/', learned: { 'request.url': 'http://127.0.0.1:8080/', 'request.method': 'GET' } },
    {
      outcome: 'proxied',
      summary: 'location / sends it to 127.0.0.1:9001',
      learned: { 'upstream.target': '127.0.0.1:9001', 'upstream.host': '127.0.0.1', 'upstream.port': 9001, 'upstream.place': { file: CONF, line: 2 } },
    },
    { outcome: 'refused', summary: 'nginx says: connect() failed (111: Connection refused)' },
    { outcome: 'tcp', summary: 'nginx dials TCP 127.0.0.1:9001' },
    {
      outcome: 'other-port',
      summary: 'nothing listens at 127.0.0.1:9001, but python3 listens at 127.0.0.1:9002',
      learned: { 'backend.listenAt': '127.0.0.1:9002', 'backend.port': 9002, 'backend.process': 'python3' },
    },
  ]);
}

/**
 * A box that answers only what preparing an apply reads (who am I, where is the file, what does it say)
 * and fails the test on anything else: the consent screen must change nothing.
 */
function readOnlyBox(text: string) {
  const ran: string[][] = [];
  const ok = (argv: string[], stdout: string): CommandResult => ({ argv, stdout, stderr: '', code: 0, ms: 1 });
  const host: Host = {
    label: 'web1',
    async run(command: CommandSpec) {
      ran.push(command.argv);
      const [program, ...args] = command.argv;
      if (program === 'id') return ok(command.argv, '0\n');
      if (program === 'readlink') return ok(command.argv, `${args.at(-1)}\n`);
      if (program === 'cat' && args.at(-1) === CONF) return ok(command.argv, text);
      throw new Error(`the consent screen ran ${command.argv.join(' ')}`);
    },
    close: async () => {},
  };
  return { host, ran };
}

const unmounts: (() => void)[] = [];
afterEach(() => unmounts.splice(0).forEach((u) => u()));

async function toFixScreen(host: Host) {
  const store = createSessionStore({ flow: FLOW, hosts: singleHost(host), session: wrongPortSession() });
  const view = render(<App store={store} />);
  unmounts.push(view.unmount);
  await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
  await press(view.stdin, view.lastFrame, KEY.enter);
  const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: wrong-port'));
  return { store, view, frame };
}

describe('applying a fix from the wizard asks first, showing exactly what will run', () => {
  it('the fix screen offers "Apply this fix"; the consent screen shows the diff, the test, the reload, the proof', async () => {
    const box = readOnlyBox(CONFIG);
    const { view, frame } = await toFixScreen(box.host);
    expect(frame).toContain('Apply this fix: see exactly what will run, then decide');
    const consent = await (async () => {
      await press(view.stdin, view.lastFrame, KEY.enter);
      return waitForFrame(view.lastFrame, (f) => f.includes('Yes: apply it now'));
    })();
    expect(consent).toContain('Apply this fix on web1? Exactly this will run:');
    expect(consent).toContain('1. Back up the file to /var/lib/badgateway/backups/<time>/');
    expect(consent).toContain(CONF);
    expect(consent).toContain('@@ line 2 @@');
    expect(consent).toContain('  upstream app {');
    expect(consent).toMatch(/- {5}server 127\.0\.0\.1:9001;/);
    expect(consent).toMatch(/\+ {5}server 127\.0\.0\.1:9002;/);
    expect(consent).toContain('$ nginx -t');
    expect(consent).toContain('one atomic step');
    expect(consent).toContain('$ systemctl reload nginx');
    expect(consent).toContain('never a restart');
    expect(consent).toContain('Send GET http://127.0.0.1:8080/ through nginx again');
    expect(consent).toContain('the backups go back, nginx reloads again');
    expect(consent).toContain('/var/lib/badgateway/journal.jsonl');
    // "No" comes first: Enter alone never changes anything.
    expect(consent.indexOf('No: back to the fix')).toBeLessThan(consent.indexOf('Yes: apply it now'));
    // Only reads so far.
    expect(box.ran.map((a) => a[0])).toEqual(['id', 'readlink', 'readlink', 'cat']);
  });

  it('"No" goes back to the fix screen and nothing runs', async () => {
    const box = readOnlyBox(CONFIG);
    const { view, store } = await toFixScreen(box.host);
    await press(view.stdin, view.lastFrame, KEY.enter);
    await waitForFrame(view.lastFrame, (f) => f.includes('Yes: apply it now'));
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: wrong-port') && f.includes('Apply this fix'));
    expect(frame).not.toContain('Yes: apply it now');
    expect(store.getState().apply).toBeNull();
    expect(box.ran.every((a) => ['id', 'readlink', 'cat'].includes(a[0] as string))).toBe(true);
  });

  it('a file that changed since the diagnosis: the wizard refuses and says why', async () => {
    const box = readOnlyBox(CONFIG.replace('server 127.0.0.1:9001;', 'server 127.0.0.1:9005;'));
    const { view } = await toFixScreen(box.host);
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Back to the fix'));
    expect(frame).toContain(`${CONF}:2 no longer says "server 127.0.0.1:9001;"`);
    expect(frame).toContain('run the diagnosis again');
    expect(frame).not.toContain('Yes: apply it now');
  });

  it('a fix badgateway does not apply by itself is not offered', async () => {
    // The backend answers 502 itself: the fix is in the backend, nothing for badgateway to change.
    const session = sessionAlong([
      { outcome: 'running', summary: 'nginx runs', learned: { 'nginx.test': ['nginx', '-t'], 'nginx.reload': ['nginx', '-s', 'reload'] } },
      { outcome: 'valid', summary: 'config read' },
      { outcome: 'given', summary: 'the request', learned: { 'request.url': 'http://127.0.0.1:8080/' } },
      { outcome: 'proxied', summary: 'to 127.0.0.1:9001', learned: { 'upstream.target': '127.0.0.1:9001' } },
      { outcome: 'silent-failure', summary: 'no upstream error' },
      { outcome: 'backend-502', summary: 'the backend answers 502 itself', learned: { 'backend.directStatus': 502 } },
    ]);
    const store = createSessionStore({ flow: FLOW, hosts: singleHost(readOnlyBox(CONFIG).host), session });
    const view = render(<App store={store} />);
    unmounts.push(view.unmount);
    await waitForFrame(view.lastFrame, (f) => f.includes('Show the result'));
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Cause: upstream-returned-502'));
    expect(frame).not.toContain('Apply this fix');
  });
});
