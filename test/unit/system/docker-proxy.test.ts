import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { containerCommand, containerConfigsCommand, parseContainerConfigs, proxiedPort } from '../../../src/system/docker-proxy.js';

/** The ps run of the container-down capture: Debian's docker-proxy as ps showed it in the lab. */
const capture = JSON.parse(readFileSync(new URL('../../fixtures/checks/backend.forwarder/container-down.json', import.meta.url), 'utf8')) as {
  results: { argv: string[]; stdout: string }[];
};
const psLine = (capture.results.find((r) => r.argv[0] === 'ps')?.stdout ?? '').split('\n').find((l) => l.includes('docker-proxy')) ?? '';
const configs = capture.results.find((r) => r.argv.join(' ') === containerConfigsCommand('10.250.17.2').join(' '))?.stdout ?? '';

describe('docker-proxy', () => {
  it("reads where the real docker-proxy forwards from its command line (Go's -flag value)", () => {
    const args = psLine.replace(/^\s*\d+\s+\d+\s+\S+\s+/, '');
    expect(proxiedPort(args)).toEqual({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerIp: '10.250.17.2', containerPort: 80 });
  });

  it('takes -flag=value and --flag too, and refuses another program or a missing container address', () => {
    expect(proxiedPort('docker-proxy --proto=tcp -host-port=443 -container-ip=172.17.0.3 -container-port=8443')).toMatchObject({ hostPort: 443, containerIp: '172.17.0.3', containerPort: 8443 });
    expect(proxiedPort('/usr/bin/python3 server.py -container-ip 172.17.0.2 -container-port 80')).toBeNull();
    expect(proxiedPort('/usr/sbin/docker-proxy -proto tcp -host-port 8080')).toBeNull();
    expect(proxiedPort('/usr/sbin/docker-proxy -container-ip 172.17.0.2 -container-port 99999')).toBeNull();
    expect(proxiedPort('/usr/sbin/docker-proxy -container-ip /etc/passwd -container-port 80')).toBeNull();
  });

  it("names the container from docker's config.v2.json (as the lab writes it), compose labels included", () => {
    expect(parseContainerConfigs(configs)).toEqual([
      expect.objectContaining({ name: 'shop-web-1', running: true, compose: { project: 'shop', dir: '/srv/shop', files: ['/srv/shop/compose.yaml'], service: 'web' } }),
    ]);
  });

  it('skips a chunk that is not a container config', () => {
    expect(parseContainerConfigs('\x1e/var/lib/docker/containers/x/config.v2.json\n{"ID":"x"\n\x1e/y\n{"ID":"abc","Name":"/web"}\n')).toEqual([
      { id: 'abc', name: 'web', running: null, compose: null, file: '/y' },
    ]);
  });

  it("docker's command for a container: compose's in its project folder when compose made it (start is up -d), else docker's by name", () => {
    const compose = { project: 'shop', dir: '/srv/shop', files: ['/srv/shop/compose.yaml'], service: 'web' };
    expect(containerCommand({ name: 'shop-web-1', compose }, 'start')).toEqual(['docker', 'compose', '--project-directory', '/srv/shop', '-f', '/srv/shop/compose.yaml', 'up', '-d', 'web']);
    expect(containerCommand({ name: 'shop-web-1', compose }, 'restart')).toEqual(['docker', 'compose', '--project-directory', '/srv/shop', '-f', '/srv/shop/compose.yaml', 'restart', 'web']);
    expect(containerCommand({ name: 'web', compose: { ...compose, dir: null } }, 'stop')).toEqual(['docker', 'stop', 'web']);
    expect(containerCommand({ name: 'web', compose: null }, 'start')).toEqual(['docker', 'start', 'web']);
  });
});
