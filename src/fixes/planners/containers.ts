/** Fixes for a backend in a docker container behind docker-proxy: start it again with docker, or read why its app drops connections. */
import { need } from '../../facts/need.js';
import type { BackendContainer } from '../../facts/keys.js';
import { commandLine } from '../../shell/quote.js';
import { containerCommand } from '../../system/docker-proxy.js';
import type { FixPlan, PlannedCommand, Planner } from '../plan.js';

/** A stopped container is started; a running one whose app does not listen is restarted (its main process starts again). */
function startCommand(c: BackendContainer): PlannedCommand | null {
  if (!c.name) return null;
  const stopped = c.running === false;
  const argv = containerCommand({ name: c.name, compose: c.compose }, stopped ? 'start' : 'restart');
  const why = stopped ? `the container ${c.name} is stopped: start it` : `the container ${c.name} runs, but nothing in it listens at ${c.address}: restart it`;
  return { argv, why, durable: true };
}

function logsNote(c: BackendContainer, what: string): string {
  return c.name
    ? `${what}: ${commandLine(['docker', 'logs', '--tail', '100', c.name], 'person')}; a restart loop or an out-of-memory kill shows in ${commandLine(['docker', 'inspect', '--format', '{{.RestartCount}} {{.State.OOMKilled}} {{.State.ExitCode}}', c.name], 'person')}.`
    : `${what}: docker ps shows which container publishes the port, docker logs NAME what it printed.`;
}

const startContainer: Planner = {
  needs: ['backend.container'],
  plan(facts): FixPlan {
    const c = need(facts, 'backend.container');
    const command = startCommand(c);
    return {
      commands: command ? [command] : [],
      edits: [],
      notes: [
        ...(command ? [] : [`Start the container that docker-proxy (pid ${c.proxyPid}) forwards to ${c.address}: no docker record on this box names it.`]),
        ...(c.compose && command
          ? [
              `compose made it (service ${c.compose.service} of project ${c.compose.project}); the same as: cd ${commandLine([c.compose.dir ?? '.'], 'person')} && docker compose ${c.running === false ? 'up -d' : 'restart'} ${commandLine([c.compose.service], 'person')}.`,
            ]
          : []),
        logsNote(c, 'Then read why it stopped'),
      ],
    };
  },
};

const containerCrashed: Planner = {
  needs: ['backend.container'],
  plan(facts): FixPlan {
    const c = need(facts, 'backend.container');
    return {
      commands: [],
      edits: [],
      notes: [
        logsNote(c, `Read what the app in ${c.name ? `the container ${c.name}` : 'the container'} printed when it dropped the request`),
        'A restart brings it back only until the same request comes again: fix what its log names.',
      ],
    };
  },
};

export const CONTAINER_PLANNERS: Readonly<Record<string, Planner>> = { 'start-container': startContainer, 'container-crashed': containerCrashed };
