import type { RouteStep } from '../nginx/route-types.js';
import { oneLine } from '../shell/sanitize.js';
import type { RouteJson } from './route-json.js';

const at = (p: { file?: string; line?: number } | null | undefined): string => (p?.file ? ` (${p.file}${p.line !== undefined ? `:${p.line}` : ''})` : '');

function whyServer(answer: RouteJson): string {
  const name = answer.serverName ? `server_name ${answer.serverName}` : 'its server_name';
  switch (answer.serverBy) {
    case 'exact':
      return `${name} is the Host header exactly`;
    case 'wildcard':
      return `${name} matches the Host header by its wildcard`;
    case 'regex':
      return `${name} is a regex that matches the Host header`;
    default:
      return `no server_name matches the Host header ${answer.request.host}, so nginx uses the default server for ${answer.request.connectTo} (default_server, else the first server listening there)`;
  }
}

function finalLine(answer: RouteJson): string {
  const { pass } = answer;
  switch (answer.outcome) {
    case 'proxied': {
      if (!pass) return 'nginx hands it to a backend';
      const group = pass.group ? `, upstream ${pass.group}: ${pass.servers.map((s) => s.target).join(', ') || 'no servers'}` : '';
      return `${pass.directive} sends it to ${pass.target}${at(pass)}${group}`;
    }
    case 'served':
      return answer.file
        ? `nginx serves the file ${answer.file} itself${answer.status !== null ? ` (${answer.status})` : ''}`
        : `nginx answers it itself${answer.status !== null ? ` with ${answer.status}` : ''}`;
    case 'redirect':
      return `nginx redirects it${answer.status !== null ? ` with ${answer.status}` : ''} to ${answer.redirectTo ?? '(no Location)'}`;
    case 'return':
      return `nginx answers ${answer.status ?? ''} itself (return)`.replace('  ', ' ');
    case 'no-server':
      return answer.reason ?? 'no server{} takes it';
  }
}

const stepLine = (step: RouteStep, n: number): string => `  ${n}. ${step.text}${at(step)}`;

/**
 * The trail a person reads: which server and why, every step nginx takes with file:line, then the
 * answer in one line. `context` lines (nginx's pid and config, the host) go first.
 */
export function routeText(answer: RouteJson, context: string[] = []): string {
  const { request } = answer;
  const lines = [`${request.method} ${request.url}  Host: ${request.host}  arrives at ${request.connectTo}`, ...context, ''];
  if (answer.outcome !== 'no-server') {
    lines.push(`Server ${answer.serverName || '(no name)'}${at(answer.server)}: ${whyServer(answer)}`);
    // The trail opens with the server choice, which the line above already says in more words.
    const steps = answer.steps[0]?.kind === 'server' ? answer.steps.slice(1) : answer.steps;
    steps.forEach((step, i) => lines.push(stepLine(step, i + 1)));
  }
  if (answer.undecided.length) lines.push('', 'Not decided by the request alone:', ...answer.undecided.map((u) => `  - ${u}`));
  if (answer.unknownPaths.length) lines.push('', 'The box did not say what is at:', ...answer.unknownPaths.map((p) => `  - ${p}`));
  if (lines.at(-1) !== '') lines.push('');
  lines.push(`${answer.decided ? 'Answer' : 'Answer, as far as the request tells'}: ${finalLine(answer)}`);
  return `${lines.map(oneLine).join('\n')}\n`;
}
