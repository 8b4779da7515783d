import { describe, expect, it } from 'vitest';
import { dockerProxyStack, stopApp, stopContainer } from './lab/docker-proxy.js';
import { pathOf, stackScope } from './lab/stack-run.js';
import { sshScope } from './lab/stack-ssh-run.js';

const { use, inBox } = stackScope();
const { overSsh } = sshScope();
const path = pathOf;
const stepOf = (report: { steps: { node: string; outcome: string }[] }, node: string) => report.steps.find((s) => s.node === node)?.outcome;

describe("a container's port published by Debian's docker-proxy (127.0.0.1:8080 -> 10.250.17.2:80) behind Debian nginx", () => {
  it('backend-down: the app in the container stopped; docker-proxy accepts and resets, the container address refuses, compose restarts the service', async () => {
    const stack = await use(dockerProxyStack());
    await stopApp(stack);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(stepOf(report, 'closed-forwarder')).toBe('container-down');
    const evidence = JSON.stringify(report.diagnosis.evidence);
    // nginx's own line is docker-proxy hanging up, not a refusal: a reset when nginx's request reached it first, else a close.
    expect(stack.box.read('/var/log/nginx/web.example.error.log')).toMatch(
      /(recv\(\) failed \(104: Connection reset by peer\)|upstream prematurely closed connection) while reading response header from upstream/,
    );
    expect(evidence).toMatch(/127\.0\.0\.1:8080 is held by docker-proxy pid \d+, which forwards it to 10\.250\.17\.2:80/);
    expect(evidence).toContain('nothing listens at 10.250.17.2:80 in the container shop-web-1: the connection is refused');
    expect(evidence).toContain(`/var/lib/docker/containers/${stack.container.id}/config.v2.json`);
    expect(report.fix.commands).toEqual(['docker compose --project-directory /srv/shop -f /srv/shop/compose.yaml restart web']);
    expect(report.fix.notes.join('\n')).toContain('docker logs --tail 100 shop-web-1');
  });

  it('backend-down: a stopped container with no compose labels is started with docker start NAME', async () => {
    const stack = await use(dockerProxyStack({ record: { running: false, compose: false } }));
    await stopApp(stack);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(report.fix.commands).toEqual(['docker start shop-web-1']);
  });

  it('backend-down: the container stopped (docker-proxy gone with it, 111 refused); its record publishes the port, compose brings it up', async () => {
    const stack = await use(dockerProxyStack());
    await stopContainer(stack);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(stack.box.read('/var/log/nginx/web.example.error.log')).toContain('connect() failed (111: Connection refused) while connecting to upstream');
    expect(stepOf(report, 'backend-down-service'), path(report)).toBe('docker');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain(
      `the docker container shop-web-1 publishes port 8080 (/var/lib/docker/containers/${stack.container.id}/config.v2.json), compose service web of project shop, and it is stopped`,
    );
    expect(report.fix.commands).toEqual(['docker compose --project-directory /srv/shop -f /srv/shop/compose.yaml up -d web']);
    expect(report.fix.notes.join('\n')).toContain('docker logs --tail 100 shop-web-1');
  });

  it('backend-down with no docker record on the box (no config, no daemon): the proxy and the container address still named, no command guessed', async () => {
    const stack = await use(dockerProxyStack({ record: null }));
    await stopApp(stack);
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('no docker record names 10.250.17.2:80');
    expect(report.fix.commands).toEqual([]);
    expect(report.fix.notes.join('\n')).toMatch(/docker-proxy \(pid \d+\) forwards to 10\.250\.17\.2:80/);
  });

  it('backend-crashed: the app in the container accepts and resets every request; its docker logs named', async () => {
    const stack = await use(dockerProxyStack({ app: 'reset' }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-crashed');
    expect(stepOf(report, 'closed-forwarder')).toBe('container-drops');
    expect(JSON.stringify(report.diagnosis.evidence)).toMatch(/10\.250\.17\.2:80 accepts, then (resets the connection|closes it without an answer)/);
    expect(report.fix.commands).toEqual([]);
    expect(report.fix.notes.join('\n')).toContain('docker logs --tail 100 shop-web-1');
  });

  it('not this: a plain backend on 127.0.0.1:8080 that resets (no docker-proxy) is not called a container', async () => {
    const stack = await use(dockerProxyStack({ app: 'reset', direct: true }));
    const { report } = await inBox(stack, ['--json', '--url', stack.url]);
    expect(stepOf(report, 'closed-forwarder'), path(report)).toBe('not-forwarded');
    expect(report.diagnosis.cause).not.toBe('backend-down');
    expect(JSON.stringify(report.fix)).not.toContain('docker');
  });

  it('over SSH: backend-down behind docker-proxy, the same evidence and command', async () => {
    const stack = await use(dockerProxyStack());
    await stopApp(stack);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(stepOf(report, 'closed-forwarder')).toBe('container-down');
    expect(JSON.stringify(report.diagnosis.evidence)).toContain('nothing listens at 10.250.17.2:80 in the container shop-web-1: the connection is refused');
    expect(report.fix.commands).toEqual(['docker compose --project-directory /srv/shop -f /srv/shop/compose.yaml restart web']);
  });

  it('over SSH: the container stopped, docker-proxy gone: the same record found by its published port, compose up -d', async () => {
    const stack = await use(dockerProxyStack());
    await stopContainer(stack);
    const { report } = await overSsh(stack, ['--url', stack.url]);
    expect(report.diagnosis.cause, path(report)).toBe('backend-down');
    expect(stepOf(report, 'backend-down-service')).toBe('docker');
    expect(report.fix.commands).toEqual(['docker compose --project-directory /srv/shop -f /srv/shop/compose.yaml up -d web']);
  });
});
