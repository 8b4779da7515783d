import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostArg } from '../../src/args.js';
import { requestFacts } from '../../src/facts/request.js';
import { loadFlowFile } from '../../src/flow/loader.js';
import { connectHosts } from '../../src/drive/connect.js';
import { defaultFlowFile } from '../../src/flow-files/locate.js';
import { createSessionStore } from '../../src/store/wizard-store.js';
import { App } from '../../src/ui/app.js';
import { KEY, press, waitForFrame } from '../ui/keys.js';
import { link } from './lab/netns.js';
import { sshdDoor } from './lab/ns-door.js';
import { freePort } from './lab/ports.js';
import { labScope } from './lab/scope.js';
import { fingerprintOf, hostPattern, sshClient, type SshClient } from './lab/ssh-client.js';
import { makeKey, startSshd, type Sshd } from './lab/sshd.js';

const lab = labScope();

// connectSsh reads ~/.ssh from HOME and the agent from SSH_AUTH_SOCK of this process: each test sets its own.
const saved = { HOME: process.env.HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };
beforeEach(() => {
  delete process.env.SSH_AUTH_SOCK;
});
afterEach(() => {
  process.env.HOME = saved.HOME;
  if (saved.SSH_AUTH_SOCK !== undefined) process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK;
});

function client(): SshClient {
  const c = sshClient();
  lab.later(() => c.remove());
  process.env.HOME = c.home;
  return c;
}

async function sshd(options: Parameters<typeof startSshd>[0] = {}): Promise<Sshd> {
  const started = await startSshd(options);
  lab.later(
    () => started.remove(),
    () => started.stop(),
  );
  return started;
}

/** The real wizard, connecting over SSH through the store (prompts and all), as `badgateway --ssh` does. */
function wizard(url: string, targets: HostArg[]) {
  const store = createSessionStore({
    flow: loadFlowFile(defaultFlowFile()),
    inputs: requestFacts(url),
    hostLabel: targets.map((t) => t.target).join(' '),
    connect: (asker) => connectHosts(targets, { asker, acceptNewHostKey: false }),
  });
  const view = render(<App store={store} />);
  lab.later(() => {
    store.getState().quit();
    view.unmount();
  });
  return { store, view };
}

const flat = (frame: string) => frame.replace(/\s+/g, ' ');

describe('the wizard over SSH: an unknown host key is shown and asked about', () => {
  async function unknownHost() {
    const server = await sshd();
    const c = client();
    server.authorize('root', c.key.publicKey);
    const site = await lab.nginx({ server: `location / { proxy_pass http://127.0.0.1:${await freePort()}; }` });
    const target = `root@127.0.0.1:${server.port}`;
    const { store, view } = wizard(`http://127.0.0.1:${site.port}/`, [{ role: 'proxy', target }]);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Trust it'));
    expect(flat(frame)).toContain(`${target} is not known yet. Its ED25519 key fingerprint is ${fingerprintOf(server.hostKeys.ed25519 as string)}.`);
    expect(frame).toContain('No: stop here');
    expect(frame).toContain('Yes: the fingerprint matches, trust this key');
    return { server, c, store, view, target };
  }

  it('a host known by another type of key: the question says which key is known, and no leaves known_hosts alone', async () => {
    const server = await sshd({ hostKeyTypes: ['ed25519'] });
    const c = client();
    server.authorize('root', c.key.publicKey);
    const known = makeKey(c.home, 'known_ecdsa', 'ecdsa');
    writeFileSync(c.knownHosts, `${hostPattern('127.0.0.1', server.port)} ${known.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
    const before = c.knownHostsText();
    const target = `root@127.0.0.1:${server.port}`;
    const { store, view } = wizard('http://127.0.0.1:9/', [{ role: 'proxy', target }]);
    const frame = flat(await waitForFrame(view.lastFrame, (f) => f.includes('Trust the ED25519 key')));
    expect(frame).toContain(`${target} is already known by a key of another type: ECDSA ${fingerprintOf(known.publicKey)}`);
    expect(frame).toContain(`It now offers only its ED25519 key, fingerprint ${fingerprintOf(server.hostKeys.ed25519 as string)}, which is not known.`);
    expect(frame).not.toContain('is not known yet');
    await press(view.stdin, view.lastFrame, KEY.enter);
    const failed = flat(await waitForFrame(view.lastFrame, (f) => flat(f).includes('a key of another type.')));
    expect(store.getState().phase).toBe('failed');
    expect(failed).toContain(`refusing to trust ${target}`);
    expect(c.knownHostsText()).toBe(before);
  });

  it('yes: the key is saved to known_hosts and the wizard goes on to the first step, on that host', async () => {
    const { server, c, view, target } = await unknownHost();
    await press(view.stdin, view.lastFrame, KEY.down);
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('Continue: Read the configuration'), 30_000);
    expect(frame).toContain(target);
    expect(execFileSync('ssh-keygen', ['-F', hostPattern('127.0.0.1', server.port), '-f', c.knownHosts], { encoding: 'utf8' })).toContain((server.hostKeys.ed25519 as string).split(' ')[1]);
    // The sshd serving the wizard dies between two steps: the next step that asks the box anything
    // reconnects (the saved key is known now) and the wizard says so. Reading the config asks nothing
    // new (nginx -T ran beside nginx -V), nor does picking the request given by --url.
    for (const pid of server.sessions()) process.kill(pid, 'SIGKILL');
    const note = `the connection to ${target} dropped during the session and was re-opened`;
    let after = '';
    for (const next of ['Continue: Pick the request', 'Continue: Follow the request', 'Continue: Read what nginx said', 'Continue: Socket or TCP']) {
      await press(view.stdin, view.lastFrame, KEY.enter);
      after = await waitForFrame(view.lastFrame, (f) => f.includes(next) || flat(f).includes(note), 30_000);
      if (flat(after).includes(note)) break;
    }
    expect(flat(after)).toContain(note);
  });

  it('no: the session ends with the reason, and known_hosts is left alone', async () => {
    const { c, store, view, target } = await unknownHost();
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => f.includes('answer yes in the wizard'));
    expect(store.getState().phase).toBe('failed');
    expect(flat(frame)).toContain(`the host key of ${target} is not known yet`);
    expect(store.getState().session.trail).toEqual([]);
    expect(c.knownHostsText()).toBe('');
    // "Try this step again" connects again, and asks again.
    await press(view.stdin, view.lastFrame, KEY.enter);
    await waitForFrame(view.lastFrame, (f) => f.includes('Trust it'));
  });
});

describe("the wizard with two hosts: nginx dials an address neither box owns, so it asks which is the backend's", () => {
  /** web (nginx) and app, each reached over SSH through a loopback door; a third box on web's link is nobody's. */
  async function hosts() {
    const web = lab.netns();
    const app = lab.netns();
    const other = lab.netns();
    const { b: appIp } = link(web, app);
    const { b: otherIp } = link(web, other);
    const c = client();
    const targets: HostArg[] = [];
    for (const [role, ns, address] of [
      ['proxy', web, '127.0.0.1'],
      ['app', app, appIp],
    ] as const) {
      const server = await sshd({ netns: ns, address });
      server.authorize('root', c.key.publicKey);
      const door = await sshdDoor(ns, server);
      lab.later(() => door.close());
      c.trust({ address: '127.0.0.1', port: door.port, hostKeys: server.hostKeys });
      targets.push({ role, target: `root@127.0.0.1:${door.port}` });
    }
    const site = await lab.nginx({ netns: web, server: `location / { proxy_pass http://${otherIp}:8080; }` });
    return { url: `http://127.0.0.1:${site.port}/`, targets, otherIp };
  }

  async function askedWhichBox() {
    const { url, targets, otherIp } = await hosts();
    const { store, view } = wizard(url, targets);
    await waitForFrame(view.lastFrame, (f) => f.includes('Run the remaining steps'), 30_000);
    await press(view.stdin, view.lastFrame, KEY.down);
    await press(view.stdin, view.lastFrame, KEY.enter);
    const frame = await waitForFrame(view.lastFrame, (f) => flat(f).includes("Which one is the backend's box?"), 30_000);
    expect(flat(frame)).toContain(`nginx sends this request to ${otherIp}, which none of the connected boxes owns.`);
    expect(frame).toContain(`app: ${targets[1]?.target}`);
    expect(frame).toContain("None of them: go on with the proxy's view only");
    return { store, view, targets, otherIp };
  }

  async function toTheEnd(view: ReturnType<typeof wizard>['view']): Promise<string> {
    for (let asked = 0; asked < 12; asked++) {
      const frame = await waitForFrame(view.lastFrame, (f) => /Cause: |Show the result/.test(f), 30_000);
      if (frame.includes('Cause: ')) return frame;
      await press(view.stdin, view.lastFrame, KEY.enter);
    }
    return waitForFrame(view.lastFrame, (f) => f.includes('Cause: '));
  }

  it("the app box: the backend's own view comes from it", async () => {
    const { store, view, targets } = await askedWhichBox();
    await press(view.stdin, view.lastFrame, KEY.enter);
    expect(await toTheEnd(view)).toContain('Cause: backend-down');
    const listening = store.getState().session.trail.find((s) => s.node === 'backend-listening');
    expect(listening?.host).toBe(`${targets[0]?.target}, ${targets[1]?.target}`);
    expect(listening?.evidence.find((e) => e.command === 'ss -Hltnxp')?.host).toBe(targets[1]?.target);
  });

  it("none of them: it goes on with the proxy's view and says the backend's box was not examined", async () => {
    const { store, view, otherIp } = await askedWhichBox();
    await press(view.stdin, view.lastFrame, KEY.down);
    await press(view.stdin, view.lastFrame, KEY.enter);
    expect(await toTheEnd(view)).toContain('Cause: backend-down');
    const listening = store.getState().session.trail.find((s) => s.node === 'backend-listening');
    expect(JSON.stringify(listening?.evidence)).toContain(`the backend's box (the one that owns ${otherIp}:8080) was not examined`);
  });
});
