import type { Evidence } from '../facts/evidence.js';
import { onBackend, unseen } from '../facts/backend-view.js';
import { failedServer, listenersAt } from '../facts/failed-server.js';
import type { BackendContainer, KnownFacts } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { shownCommand } from '../shell/quote.js';
import { containerConfigsCommand, dockerPsPublishCommand, parseContainerConfigs, type ProxiedPort, proxiedPort } from '../system/docker-proxy.js';
import { httpProbeCommand, parseHttpProbe } from '../system/http-probe.js';
import { parsePs } from '../system/ps.js';
import { parseDockerPs } from '../system/services.js';
import { parseSs } from '../system/ss.js';
import { parseTcpProbe, tcpProbeCommand } from '../system/tcp-probe.js';
import { defineCheck } from './check.js';

const SS = ['ss', '-Hltnxp'];
const PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
const PROBE_SECONDS = 3;

const ran = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => r.argv.join('\0') === argv.join('\0'));

/** The docker-proxy that holds the address nginx dials, and where it forwards; null when another program holds it. */
function forwarder(facts: KnownFacts, done: readonly CommandResult[]): { pid: number; port: ProxiedPort } | null {
  const server = failedServer(facts);
  const ss = ran(done, SS);
  const ps = ran(done, PS);
  if (server?.kind !== 'tcp' || !ss || !ps || unseen(ss)) return null;
  const processes = parsePs(ps.stdout);
  for (const listener of listenersAt(server, parseSs(ss.stdout))) {
    for (const pid of listener.pids ?? (listener.pid !== null ? [listener.pid] : [])) {
      const port = proxiedPort(processes.find((p) => p.pid === pid)?.args ?? '');
      if (port) return { pid, port };
    }
  }
  return null;
}

function probes(port: ProxiedPort, facts: KnownFacts): CommandSpec[] {
  const host = port.containerIp.includes(':') ? `[${port.containerIp}]` : port.containerIp;
  return [
    { argv: tcpProbeCommand(port.containerIp, port.containerPort, PROBE_SECONDS), timeoutMs: (PROBE_SECONDS + 3) * 1000 },
    {
      argv: httpProbeCommand(`http://${host}:${port.containerPort}/`, { timeoutSeconds: PROBE_SECONDS, hostHeader: facts['request.hostHeader'] ?? port.containerIp }),
      timeoutMs: (PROBE_SECONDS + 5) * 1000,
    },
    { argv: containerConfigsCommand(port.containerIp), timeoutMs: 8000 },
    { argv: dockerPsPublishCommand(port.hostPort), timeoutMs: 8000 },
  ].map(onBackend);
}

/** The container behind the proxy: docker's own record of it (its config, else `docker ps` when the daemon answers). */
function container(done: readonly CommandResult[], port: ProxiedPort): Pick<BackendContainer, 'id' | 'name' | 'running' | 'compose' | 'file'> {
  const config = parseContainerConfigs(ran(done, containerConfigsCommand(port.containerIp))?.stdout ?? '')[0];
  if (config) return { id: config.id, name: config.name, running: config.running, compose: config.compose, file: config.file };
  const listed = parseDockerPs(ran(done, dockerPsPublishCommand(port.hostPort))?.stdout ?? '')[0];
  if (listed) return { id: listed.id, name: listed.name, running: listed.state === 'running', compose: null, file: null };
  return { id: null, name: null, running: null, compose: null, file: null };
}

/**
 * Is the address nginx dials a port docker publishes with docker-proxy? Then nginx's closed connection is
 * the proxy's: it accepted, found nothing (or a crashing app) at the container's address, and hung up.
 * The container's own address is probed directly, and the container named from docker's records.
 */
export const backendForwarder = defineCheck({
  id: 'backend.forwarder',
  guide: 'containers',
  outcomes: ['container-down', 'container-drops', 'not-forwarded'],
  needs: ['upstream.kind', 'upstream.target', 'error.latest'],
  learns: [],
  learnsOn: { 'container-down': ['backend.container', 'container.address', 'container.seen'], 'container-drops': ['backend.container', 'container.address', 'container.seen'] },

  plan(facts, done) {
    if (!done.length) return failedServer(facts)?.kind === 'tcp' ? [onBackend({ argv: SS }), onBackend({ argv: PS })] : [];
    const found = forwarder(facts, done);
    if (!found || done.length > 2) return [];
    return probes(found.port, facts);
  },

  interpret(facts, results) {
    const found = forwarder(facts, results);
    const target = facts['upstream.target'] ?? 'the backend';
    if (!found) {
      return { outcome: 'not-forwarded', facts: {}, summary: `${target} is not a port docker-proxy forwards`, evidence: [] };
    }
    const { pid, port } = found;
    const address = `${port.containerIp}:${port.containerPort}`;
    const tcpRun = ran(results, probes(port, facts)[0]?.argv ?? []);
    const httpRun = results.find((r) => r.argv[0] === 'curl');
    const tcp = tcpRun ? parseTcpProbe(tcpRun) : 'error';
    const http = httpRun ? parseHttpProbe(httpRun) : null;
    const who = container(results, port);
    const named = who.name ? `the container ${who.name}` : 'the container';
    const seen =
      tcp === 'refused'
        ? `nothing listens at ${address} in ${named}: the connection is refused`
        : http?.status !== null && http?.status !== undefined
          ? `${address} answers HTTP ${http.status}`
          : tcp === 'open' && (http?.error === 'reset' || http?.error === 'empty-reply')
            ? `${address} accepts, then ${http.error === 'reset' ? 'resets the connection' : 'closes it without an answer'}`
            : `${address}: ${tcp}${http?.message ? ` (${http.message})` : ''}`;
    const evidence: Evidence[] = [
      {
        command: shownCommand(SS, PS),
        lines: [`${target} is held by docker-proxy pid ${pid}, which forwards it to ${address} (-container-ip ${port.containerIp} -container-port ${port.containerPort})`],
      },
      { command: shownCommand(tcpRun?.argv ?? []), lines: [seen] },
      ...(httpRun && http
        ? [{ command: shownCommand(httpRun.argv), lines: [http.status !== null ? `answered HTTP ${http.status}` : `no HTTP answer: ${http.message ?? http.error ?? 'nothing'}`] }]
        : []),
      {
        command: shownCommand(who.file ? containerConfigsCommand(port.containerIp) : dockerPsPublishCommand(port.hostPort)),
        lines: [
          who.name
            ? `${address} is the container ${who.name} (${(who.id ?? '').slice(0, 12)})${who.running === false ? ', stopped' : who.running ? ', running' : ''}${who.compose ? `, compose service ${who.compose.service} of project ${who.compose.project}${who.compose.dir ? ` in ${who.compose.dir}` : ''}` : ''}${who.file ? ` (${who.file})` : ''}`
            : `no docker record names ${address} (its containers' configs are unreadable here, and docker's daemon did not answer)`,
        ],
      },
    ];
    const learned = { 'backend.container': { ...who, address, proxyPid: pid, seen } satisfies BackendContainer, 'container.address': address, 'container.seen': seen };
    if (tcp === 'refused') return { outcome: 'container-down', facts: learned, summary: seen, evidence };
    if (tcp === 'open' && (http?.error === 'reset' || http?.error === 'empty-reply')) return { outcome: 'container-drops', facts: learned, summary: seen, evidence };
    return { outcome: 'not-forwarded', facts: {}, summary: `docker-proxy forwards ${target} to ${address}, and ${seen}`, evidence };
  },
});
