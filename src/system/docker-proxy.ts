/**
 * A port docker publishes with its userland proxy: `docker-proxy -proto tcp -host-ip 127.0.0.1 -host-port
 * 8080 -container-ip 172.17.0.2 -container-port 80` listens on the host and forwards each connection to the
 * container's address. It accepts even when nothing listens in the container, then closes or resets, so
 * nginx logs a closed connection where the real answer is behind it. And what docker's daemon keeps of a
 * container (/var/lib/docker/containers/ID/config.v2.json): its name, state and compose labels. Pure parsers.
 */
import { printedFiles } from './printed-files.js';

export interface ProxiedPort {
  proto: string;
  hostIp: string | null;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** docker-proxy's own program, as ps shows its command line (a path or the bare name). */
export function isDockerProxy(args: string): boolean {
  return /^(\S*\/)?docker-proxy(\s|$)/.test(args.trim());
}

/** Go's flags as docker-proxy takes them: "-name value", "-name=value", "--name value". */
function flags(args: string): Map<string, string> {
  const words = args.trim().split(/\s+/);
  const out = new Map<string, string>();
  for (let i = 1; i < words.length; i++) {
    const m = /^--?([\w-]+)(?:=(.*))?$/.exec(words[i] as string);
    if (!m) continue;
    if (m[2] !== undefined) out.set(m[1] as string, m[2]);
    else if (words[i + 1] !== undefined) out.set(m[1] as string, words[++i] as string);
  }
  return out;
}

/** Where a docker-proxy forwards, from its command line; null for another program or one without a container address. */
export function proxiedPort(args: string): ProxiedPort | null {
  if (!isDockerProxy(args)) return null;
  const f = flags(args);
  const containerIp = f.get('container-ip');
  const containerPort = Number(f.get('container-port'));
  const hostPort = Number(f.get('host-port'));
  // docker gives it an IPv4 or IPv6 address; anything else is not a docker-proxy we can follow.
  if (!containerIp || !/^[0-9a-fA-F.:]+$/.test(containerIp) || !Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) return null;
  return { proto: f.get('proto') ?? 'tcp', hostIp: f.get('host-ip') ?? null, hostPort: Number.isInteger(hostPort) ? hostPort : 0, containerIp, containerPort };
}

const CONTAINERS = '/var/lib/docker/containers';

/** Each container's config.v2.json (after a line "\x1e<path>") in whose `file` (config.v2.json or hostconfig.json) the fixed string $1 occurs; at most 64 KiB. */
const CONFIGS_WITH = (file: string) =>
  `grep -lsF -e "$1" -- ${CONTAINERS}/*/${file} | head -n 4 | while IFS= read -r f; do c=\${f%/*}/config.v2.json; [ -f "$c" ] || continue; printf '\\036%s\\n' "$c"; head -c 32768 -- "$c"; echo; done | head -c 65536`;

/**
 * The config.v2.json of each container whose network settings hold this address: a fixed-string grep, so
 * the address is data, never a pattern (root may read them).
 */
export function containerConfigsCommand(ip: string): string[] {
  return ['sh', '-c', CONFIGS_WITH('config.v2.json'), 'container-configs', `"IPAddress":"${ip}"`];
}

/** The config.v2.json of each container whose host config publishes this host port (kept while the container is stopped, when docker-proxy is gone). */
export function publishedConfigsCommand(port: number): string[] {
  return ['sh', '-c', CONFIGS_WITH('hostconfig.json'), 'container-configs', `"HostPort":"${port}"`];
}

/** docker's own list of the containers that publish a host port, when its CLI and daemon answer (bounded: 5 s). */
export function dockerPsPublishCommand(port: number): string[] {
  return ['timeout', '5', 'docker', 'ps', '-a', '--no-trunc', '--filter', `publish=${port}`, '--format', '{{.ID}} {{.Names}} {{.State}}'];
}

export interface ContainerConfig {
  id: string;
  /** Without docker's leading slash. */
  name: string;
  running: boolean | null;
  /** compose's project, its folder, its files and the service, when compose made the container. */
  compose: { project: string; dir: string | null; files: string[]; service: string } | null;
  file: string;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The containers the configs command printed (unreadable or foreign JSON is skipped). */
export function parseContainerConfigs(stdout: string): ContainerConfig[] {
  const out: ContainerConfig[] = [];
  for (const { file, text: printed } of printedFiles(stdout)) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(printed) as Record<string, unknown>;
    } catch {
      continue;
    }
    const id = text(json.ID);
    const name = text(json.Name)?.replace(/^\//, '');
    if (!id || !name) continue;
    const state = json.State as Record<string, unknown> | undefined;
    const labels = ((json.Config as Record<string, unknown> | undefined)?.Labels ?? {}) as Record<string, unknown>;
    const project = text(labels['com.docker.compose.project']);
    const service = text(labels['com.docker.compose.service']);
    const files = (text(labels['com.docker.compose.project.config_files']) ?? '').split(',').filter((f) => f.startsWith('/'));
    out.push({
      id,
      name,
      running: typeof state?.Running === 'boolean' ? state.Running : null,
      compose: project && service ? { project, dir: text(labels['com.docker.compose.project.working_dir']), files, service } : null,
      file,
    });
  }
  return out;
}

/**
 * docker's command for a container: compose's for its service when compose made it (run in the project's
 * folder, as `cd DIR && docker compose ...` does; start is `up -d`), else docker's own by the container's name.
 */
export function containerCommand(c: Pick<ContainerConfig, 'name' | 'compose'>, verb: 'start' | 'stop' | 'restart'): string[] {
  if (c.compose?.dir) {
    const files = c.compose.files.flatMap((f) => ['-f', f]);
    return ['docker', 'compose', '--project-directory', c.compose.dir, ...files, ...(verb === 'start' ? ['up', '-d'] : [verb]), c.compose.service];
  }
  return ['docker', verb, c.name];
}
