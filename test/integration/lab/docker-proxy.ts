import { type Box, startBox, waitInBox } from './box.js';
import { enableSite, proxySite, type Stack } from './stacks.js';

/**
 * A published container port as docker sets one up, without docker's daemon: Debian's real
 * /usr/sbin/docker-proxy (package docker.io) listening on 127.0.0.1:8080 of the box and forwarding to
 * 10.250.17.2:80, the "container": a network namespace of the box (made with ip netns, joined to the box by
 * a veth pair, 10.250.17.1 on the box's side as docker0 would be) running a small HTTP app on port 80.
 * nginx's sites-enabled/web proxies web.example to 127.0.0.1:8080, as real boxes do in front of a container.
 *
 * What docker's daemon would have written is written too: /var/lib/docker/containers/ID/config.v2.json
 * with the container's name, compose labels and address. The box has no /var/lib/docker of its own, so
 * /var/lib is overlaid in the box's mount namespace (its upper layer in a tmpfs): nothing of this
 * machine's /var/lib changes.
 */
export interface DockerStack extends Stack {
  /** The container's address and port, as docker-proxy's -container-ip/-container-port give them. */
  container: { ip: string; port: number; id: string; name: string };
  /** The pid (in the box) of the app that runs in the container's namespace. */
  appPid: () => string;
}

const CONTAINER_ID = 'f3a9c1d2e4b5a6978812345678901234567890abcdef1234567890abcdef0a1b';
const NETNS = 'shop-web';

/** The app in the container: answers every GET with 200; `reset` closes each connection with RST instead. */
const APP = `import socket, struct, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if sys.argv[2] == 'reset':
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.close_connection = True
            return
        body = b'web ok\\n'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

HTTPServer(('0.0.0.0', int(sys.argv[1])), Handler).serve_forever()
`;

/** What docker's daemon would have recorded of the container: running or stopped, made by compose or by docker run. */
export interface ContainerRecord {
  running: boolean;
  compose: boolean;
}

function containerConfig(ip: string, record: ContainerRecord): string {
  const labels = {
    'com.docker.compose.project': 'shop',
    'com.docker.compose.project.working_dir': '/srv/shop',
    'com.docker.compose.project.config_files': '/srv/shop/compose.yaml',
    'com.docker.compose.service': 'web',
  };
  return `${JSON.stringify({
    ID: CONTAINER_ID,
    Name: '/shop-web-1',
    Path: 'python3',
    Args: ['/app/server.py', '80'],
    State: { Running: record.running, Pid: 0, ExitCode: 0, Restarting: false },
    Config: {
      Hostname: CONTAINER_ID.slice(0, 12),
      Image: 'shop-web:latest',
      ExposedPorts: { '80/tcp': {} },
      Labels: record.compose ? labels : {},
    },
    NetworkSettings: {
      Networks: { shop_default: { IPAddress: ip, Gateway: '10.250.17.1', IPPrefixLen: 24 } },
      Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
    },
  })}\n`;
}

/** Starts the app in the container's namespace (or, `direct`, in the box itself on 8080) as a daemon would. */
function startApp(box: Box, mode: 'ok' | 'reset', direct: boolean): void {
  const app = ['/usr/bin/python3', '/srv/shop/app/server.py', direct ? '8080' : '80', mode];
  if (direct) box.run(['start-stop-daemon', '--start', '--background', '--exec', '/usr/bin/python3', '--', ...app.slice(1)]);
  else box.run(['start-stop-daemon', '--start', '--background', '--exec', '/usr/bin/ip', '--', 'netns', 'exec', NETNS, ...app]);
}

/**
 * `record`: what docker's records say of the container (null: none, as on a box whose /var/lib/docker is not
 * readable and whose daemon does not answer). `direct`: no container and no docker-proxy, the app itself on
 * 127.0.0.1:8080 (for "not this").
 */
export async function dockerProxyStack(options: { app?: 'ok' | 'reset'; record?: ContainerRecord | null; direct?: boolean } = {}): Promise<DockerStack> {
  const record = options.record === undefined ? { running: true, compose: true } : options.record;
  const direct = options.direct ?? false;
  const box = await startBox();
  try {
    const ip = '10.250.17.2';
    box.run([
      'sh',
      '-c',
      'mkdir -p /run/.lib-overlay/up /run/.lib-overlay/work && mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/run/.lib-overlay/up,workdir=/run/.lib-overlay/work /var/lib',
    ]);
    if (record) {
      box.write(`/var/lib/docker/containers/${CONTAINER_ID}/config.v2.json`, containerConfig(ip, record));
      box.write(
        `/var/lib/docker/containers/${CONTAINER_ID}/hostconfig.json`,
        `${JSON.stringify({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } })}\n`,
      );
    }
    box.write('/srv/shop/compose.yaml', 'services:\n  web:\n    build: ./app\n    ports:\n      - "127.0.0.1:8080:80"\n');
    box.write('/srv/shop/app/server.py', APP);
    box.write('/etc/hosts', `${box.read('/etc/hosts')}127.0.0.1 web.example\n`);
    // The container's network: its own namespace, eth0 10.250.17.2 joined to the box's 10.250.17.1.
    box.run(['ip', 'netns', 'add', NETNS]);
    box.run(['ip', 'link', 'add', 'veth-web', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NETNS]);
    box.run(['ip', 'addr', 'add', '10.250.17.1/24', 'dev', 'veth-web']);
    box.run(['ip', 'link', 'set', 'veth-web', 'up']);
    box.run(['ip', '-n', NETNS, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    box.run(['ip', '-n', NETNS, 'link', 'set', 'eth0', 'up']);
    box.run(['ip', '-n', NETNS, 'link', 'set', 'lo', 'up']);
    startApp(box, options.app ?? 'ok', direct);
    await waitInBox(box, ['bash', '-c', `exec 3<>/dev/tcp/${direct ? '127.0.0.1' : ip}/${direct ? 8080 : 80}`], 'the app');
    // docker-proxy reports "ready" to docker's daemon on fd 3 and closes it: given none, it would close a fd of
    // Go's own runtime. Here fd 3 is /dev/null.
    const proxy = ['/usr/sbin/docker-proxy', '-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', '8080', '-container-ip', ip, '-container-port', '80'];
    if (!direct) box.run(['sh', '-c', 'setsid "$@" 3>/dev/null </dev/null >/dev/null 2>&1 &', 'sh', ...proxy]);
    enableSite(box, 'web', proxySite('web.example', 'http://127.0.0.1:8080'));
    box.run(['nginx']);
    if (options.app !== 'reset') await waitInBox(box, ['curl', '-sf', '-o', '/dev/null', '-H', 'Host: web.example', 'http://127.0.0.1/'], 'the site through docker-proxy');
    else await waitInBox(box, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8080'], 'the port nginx dials');
    return {
      box,
      url: 'http://web.example/',
      host: 'web.example',
      container: { ip, port: 80, id: CONTAINER_ID, name: 'shop-web-1' },
      appPid: () => box.run(['pgrep', '-f', '^/usr/bin/python3 /srv/shop/app/server.py']).trim(),
    };
  } catch (e) {
    await box.remove();
    throw e;
  }
}

/** The app in the container stopped, as when it exits and the container's restart policy has not brought it back. */
export async function stopApp(stack: DockerStack): Promise<void> {
  stack.box.run(['kill', '--', stack.appPid()]);
  await waitInBox(stack.box, ['sh', '-c', `! bash -c 'exec 3<>/dev/tcp/${stack.container.ip}/${stack.container.port}' 2>/dev/null`], 'the app gone');
}

/**
 * The container stopped, as `docker stop` leaves it: its app gone, its docker-proxy ended by the daemon (so
 * nothing listens on 127.0.0.1:8080 any more) and its record saying it is not running.
 */
export async function stopContainer(stack: DockerStack): Promise<void> {
  await stopApp(stack);
  stack.box.run(['kill', '--', stack.box.run(['pgrep', '-x', 'docker-proxy']).trim()]);
  await waitInBox(stack.box, ['sh', '-c', '! pgrep -x docker-proxy'], 'docker-proxy gone');
  const file = `/var/lib/docker/containers/${stack.container.id}/config.v2.json`;
  stack.box.write(file, stack.box.read(file).replace('"Running":true', '"Running":false'));
}
