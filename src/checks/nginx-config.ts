import { shownCommand } from '../shell/quote.js';
import type { ConfigError } from '../nginx/config-types.js';
import { parseDump } from '../nginx/parse-dump.js';
import { workerUser } from '../nginx/route.js';
import { parseTestFailure } from '../nginx/test-failure.js';
import { nginxWorkers } from '../system/ps.js';
import { configDumpCommand } from '../system/nginx-t.js';
import { type ConfigRead, configReadCommand, isConfigRead, parseConfigRead } from '../system/config-read.js';
import { configFromRead } from '../nginx/read-check.js';
import type { CommandResult } from '../hosts/host.js';
import type { KnownFacts } from '../facts/keys.js';
import { isNginxProbe, NGINX_PROBE, probeFor } from '../system/nginx-probe.js';
import type { NginxConfig } from '../nginx/config-types.js';
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

/** The last reader output judged: plan() and interpret() see the same result, and a big config parses once. */
let lastRead: { stdout: string; config: NginxConfig | null; mismatch: string | null } | null = null;

function judged(run: CommandResult, read: Extract<ConfigRead, { kind: 'read' }>): { config: NginxConfig | null; mismatch: string | null } {
  if (lastRead?.stdout !== run.stdout) {
    const found = configFromRead(run.stdout, read);
    lastRead = { stdout: run.stdout, config: 'config' in found ? found.config : null, mismatch: 'mismatch' in found ? found.mismatch : null };
  }
  return lastRead;
}

/**
 * The config when the reader's output is what nginx -T would print (config-read.ts: the files nginx
 * loaded, unchanged since, and the parser agrees on what they include); null when nginx -T must say.
 */
function readText(run: CommandResult): { stdout: string; config: NginxConfig } | null {
  if (!isConfigRead(run.argv)) return null;
  const read = parseConfigRead(run);
  if (read.kind !== 'read') return null;
  const { config } = judged(run, read);
  return config ? { stdout: run.stdout, config } : null;
}

/** Why the config came from nginx -T after all (the reader passed it on, or could not be sure). */
function passedOn(first: CommandResult | undefined): string[] {
  if (!first || !isConfigRead(first.argv)) return [];
  const read = parseConfigRead(first);
  if (read.kind === 'dumped') return [`nginx -T, run by the reader: ${read.reason}`];
  if (read.kind === 'failed') return [`nginx -T, as the reader failed: ${read.reason}`];
  return [`nginx -T, as what was read may differ from it: ${judged(first, read).mismatch ?? 'unsure'}`];
}

/**
 * The results with the login probe's answer for this master in place of the probe, as the config read it
 * stands for (a read it had to leave to nginx -T becomes a failed read, so nginx -T is asked); a probe that
 * did not take this master (another title, a replay recorded before it) is dropped.
 */
function withoutProbe(facts: KnownFacts, results: readonly CommandResult[]): CommandResult[] {
  return results.flatMap((r) => {
    if (!isNginxProbe(r.argv)) return [r];
    const args = need(facts, 'nginx.args');
    const found = probeFor(r, { pid: need(facts, 'nginx.masterPid'), binary: need(facts, 'nginx.binary'), args });
    if (!found) return [];
    const read = found.read(args);
    if (found.readDone) return [read];
    const why = read.stderr.match(/^badgateway: config-read: nginx -T: (.*)$/m)?.[1] ?? 'the login probe could not read it';
    return [{ ...read, stdout: '', stderr: why, code: 3 }];
  });
}

/** Reads the configuration nginx itself sees (nginx -T), with the running master's own -c/-p/-g. */
export const nginxConfig = defineCheck({
  id: 'nginx.config',
  guide: 'upstream-config',
  outcomes: ['valid', 'invalid', 'unreadable'],
  needs: ['nginx.binary', 'nginx.args', 'nginx.masterPid', 'processes'],
  learns: [],
  learnsOn: { valid: ['nginx.config', 'nginx.workerUser'], invalid: ['nginx.configError'] },

  plan(facts, asked) {
    const binary = need(facts, 'nginx.binary');
    const args = need(facts, 'nginx.args');
    // The login's probe first (nginx.find ran it: the session's cache answers), then the read, then nginx -T.
    if (asked.length === 0) return [NGINX_PROBE];
    const done = withoutProbe(facts, asked);
    if (done.length === 0) return [configReadCommand(binary, need(facts, 'nginx.masterPid'), args)];
    const [first] = done;
    const fellBack = done.length === 1 && first && isConfigRead(first.argv) && parseConfigRead(first).kind !== 'dumped' && !readText(first);
    return fellBack ? [configDumpCommand(binary, args)] : [];
  },

  interpret(facts, asked) {
    const results = withoutProbe(facts, asked);
    const command = shownCommand([need(facts, 'nginx.binary'), ...need(facts, 'nginx.args'), '-T']);
    const first = results[0];
    const read = first ? readText(first) : null;
    const run = read ? { ...first!, stdout: read.stdout } : (results.find((r) => !isConfigRead(r.argv)) ?? first);
    const how = read ? [`read from the files nginx loaded (unchanged since it loaded them), as ${command} prints them`] : passedOn(first);
    if (run?.code !== 0) {
      const failure = parseTestFailure(run?.stderr ?? '');
      const text = failure ? `${failure.message}${failure.file ? ` in ${failure.file}:${failure.line}` : ''}` : run?.stderr.trim() || run?.failure || 'nginx -T failed';
      const lines = [failure ? `[${failure.level}] ${text}` : text];
      if (failure && /\(13: Permission denied\)/.test(failure.message)) {
        return { outcome: 'unreadable', facts: {}, summary: 'nginx -T may not read the configuration: run badgateway as root or with sudo', evidence: [{ command, lines }] };
      }
      return { outcome: 'invalid', facts: { 'nginx.configError': text }, summary: `the configuration on disk does not pass nginx -t: ${text}`, evidence: [{ command, lines }] };
    }
    const config = read?.config ?? parseDump(run.stdout);
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
            ...how,
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
