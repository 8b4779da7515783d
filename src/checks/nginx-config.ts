import { shownCommand } from '../shell/quote.js';
import type { ConfigError } from '../nginx/config-types.js';
import { parseDump } from '../nginx/parse-dump.js';
import { workerUser } from '../nginx/route.js';
import { parseTestFailure } from '../nginx/test-failure.js';
import { nginxWorkers } from '../system/ps.js';
import { configDumpCommand } from '../system/nginx-t.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';

const SHOWN_ERRORS = 10;

const errorPlace = (e: ConfigError): string => (e.file ? `${e.file}${e.line === null ? '' : `:${e.line}`}: ` : '');

/**
 * nginx accepted this configuration, so a parse error is badgateway misreading it: what follows from the
 * config (routes, upstreams) may be wrong near that place, and the person should know.
 */
function parseErrorLines(errors: readonly ConfigError[]): string[] {
  return [
    ...errors.slice(0, SHOWN_ERRORS).map((e) => `parse error: ${errorPlace(e)}${e.error}`),
    ...(errors.length > SHOWN_ERRORS ? [`... and ${errors.length - SHOWN_ERRORS} more parse errors`] : []),
  ];
}

function parseErrorsSummary(errors: readonly ConfigError[]): string {
  if (errors.length === 0) return '';
  const first = errors[0]!;
  const count = errors.length === 1 ? '1 parse error' : `${errors.length} parse errors`;
  return `; ${count} in the nginx -T output (first: ${errorPlace(first)}${first.error})`;
}

/** Reads the configuration nginx itself sees (nginx -T), with the running master's own -c/-p/-g. */
export const nginxConfig = defineCheck({
  id: 'nginx.config',
  guide: 'upstream-config',
  outcomes: ['valid', 'invalid', 'unreadable'],
  needs: ['nginx.binary', 'nginx.args', 'nginx.masterPid', 'processes'],
  learns: [],
  learnsOn: { valid: ['nginx.config', 'nginx.workerUser'], invalid: ['nginx.configError'] },

  plan(facts, done) {
    if (done.length) return [];
    return [configDumpCommand(need(facts, 'nginx.binary'), need(facts, 'nginx.args'))];
  },

  interpret(facts, [run]) {
    const command = shownCommand([need(facts, 'nginx.binary'), ...need(facts, 'nginx.args'), '-T']);
    if (run?.code !== 0) {
      const failure = parseTestFailure(run?.stderr ?? '');
      const text = failure ? `${failure.message}${failure.file ? ` in ${failure.file}:${failure.line}` : ''}` : run?.stderr.trim() || run?.failure || 'nginx -T failed';
      const lines = [failure ? `[${failure.level}] ${text}` : text];
      if (failure && /\(13: Permission denied\)/.test(failure.message)) {
        return { outcome: 'unreadable', facts: {}, summary: 'nginx -T may not read the configuration: run badgateway as root or with sudo', evidence: [{ command, lines }] };
      }
      return { outcome: 'invalid', facts: { 'nginx.configError': text }, summary: `the configuration on disk does not pass nginx -t: ${text}`, evidence: [{ command, lines }] };
    }
    const config = parseDump(run.stdout);
    const workers = nginxWorkers(need(facts, 'processes'), need(facts, 'nginx.masterPid'));
    const configured = workerUser(config);
    const user = workers[0]?.user ?? configured.user;
    return {
      outcome: 'valid',
      facts: { 'nginx.config': config, 'nginx.workerUser': user },
      summary: `${config.files.length} config files read; workers run as ${user}${parseErrorsSummary(config.errors)}`,
      evidence: [
        {
          command,
          lines: [
            ...config.files.slice(0, 6).map((f) => `# configuration file ${f.file}`),
            ...(config.files.length > 6 ? [`... and ${config.files.length - 6} more`] : []),
            `worker user: ${user}${workers.length ? ' (from the running workers)' : configured.place ? ` (user directive, ${configured.place.file}:${configured.place.line})` : ' (nginx default)'}`,
            ...parseErrorLines(config.errors),
          ],
        },
      ],
    };
  },
});
