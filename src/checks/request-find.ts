import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, UpstreamError } from '../facts/keys.js';
import type { NginxConfig } from '../nginx/config-types.js';
import { parseErrorLog } from '../nginx/error-log.js';
import { allErrorLogs } from '../nginx/route.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';
import { nginxAddressFor, requestFacts } from '../facts/request.js';
import { tailCommand } from '../system/tail.js';

/** The log files this request's errors could be in: the config's, else nginx's compiled-in one. */
export function logsToRead(facts: KnownFacts): string[] {
  const logs = allErrorLogs(need(facts, 'nginx.config'), need(facts, 'nginx.prefix')).filter((l) => l.startsWith('/'));
  return logs.length ? logs : [need(facts, 'nginx.defaultErrorLog')];
}

/** The listen port of a server named like this, for a log line whose host field carries no port. */
function portOfServer(config: NginxConfig, serverName: string | undefined): number {
  for (const http of config.tree.filter((d) => d.directive === 'http')) {
    for (const server of (http.block ?? []).filter((d) => d.directive === 'server')) {
      const names = (server.block ?? []).filter((d) => d.directive === 'server_name').flatMap((d) => d.args);
      if (serverName && !names.includes(serverName)) continue;
      const listen = (server.block ?? []).find((d) => d.directive === 'listen');
      const port = /(?:^|:)(\d+)$/.exec(listen?.args[0] ?? '')?.[1];
      if (port) return Number(port);
    }
  }
  return 80;
}

export function urlFromError(error: UpstreamError, config: NginxConfig): { url: string; method: string } | null {
  const request = /^(\S+) (\S+)/.exec(error.request ?? '');
  if (!request) return null;
  const host = error.host ?? error.server;
  if (!host || host === '_' || host === '') return null;
  const authority = /:\d+$/.test(host) ? host : `${host}:${portOfServer(config, error.server)}`;
  return { method: request[1] as string, url: `http://${authority}${request[2]}` };
}

const REPLAYABLE = new Set(['GET', 'HEAD']);

export const requestFind = defineCheck({
  id: 'request.find',
  guide: 'error-log',
  outcomes: ['given', 'from-log', 'none'],
  needs: ['nginx.config', 'nginx.prefix', 'nginx.defaultErrorLog', 'listeners', 'processes', 'nginx.masterPid'],
  learns: [],
  learnsOn: {
    given: ['request.url', 'request.method', 'request.hostHeader', 'request.port', 'request.path', 'request.source', 'request.connectTo'],
    'from-log': ['request.url', 'request.method', 'request.hostHeader', 'request.port', 'request.path', 'request.source', 'request.connectTo', 'request.candidates', 'request.upstream'],
  },

  plan(facts, done) {
    if (facts['request.url'] || done.length) return [];
    return logsToRead(facts).map((log) => ({ argv: tailCommand(log) }));
  },

  interpret(facts, results) {
    const connectTo = (port: number) => nginxAddressFor(port, need(facts, 'listeners'), need(facts, 'processes'), need(facts, 'nginx.masterPid'));
    const given = facts['request.url'];
    if (given) {
      const request = requestFacts(given, facts['request.method'] ?? 'GET');
      const port = request['request.port'] as number;
      return {
        outcome: 'given',
        facts: { ...request, 'request.source': 'argument', 'request.connectTo': connectTo(port) },
        summary: `the failing request: ${request['request.method']} ${given}`,
        evidence: [{ lines: [`--url ${given}`, `nginx is reached at ${connectTo(port)}`] }],
      };
    }
    const config = need(facts, 'nginx.config');
    const errors = results.flatMap((r) => (r.code === 0 ? parseErrorLog(r.stdout) : []));
    const unreadable = results.filter((r) => r.code !== 0).map((r) => `${r.argv.at(-1)}: ${r.stderr.trim() || r.failure || 'cannot read'}`);
    const failures = errors.filter((e) => e.kind !== 'fastcgi-stderr').sort((a, b) => a.time.localeCompare(b.time));
    const seen = new Map<string, { url: string; method: string; upstream?: string }>();
    for (const error of [...failures].reverse()) {
      const request = urlFromError(error, config);
      if (request && !seen.has(request.url)) seen.set(request.url, { ...request, ...(error.upstream ? { upstream: error.upstream } : {}) });
    }
    const newest = [...seen.values()].find((r) => REPLAYABLE.has(r.method)) ?? [...seen.values()][0];
    if (!newest) {
      return {
        outcome: 'none',
        facts: {},
        summary: 'no upstream error in the error logs names a request: give the failing URL with --url',
        evidence: [{ command: shownCommand(...results.map((r) => r.argv)), lines: unreadable.length ? unreadable : ['no upstream errors in the last 256 KiB of each error log'] }],
      };
    }
    const request = requestFacts(newest.url, newest.method);
    const latest = failures.at(-1);
    return {
      outcome: 'from-log',
      facts: {
        ...request,
        'request.source': 'error-log',
        'request.connectTo': connectTo(request['request.port'] as number),
        'request.candidates': [...seen.keys()].slice(0, 9),
        ...(newest.upstream ? { 'request.upstream': newest.upstream } : {}),
      },
      summary: `the newest failing request in the error log: ${newest.method} ${newest.url}`,
      evidence: [
        { command: shownCommand(...results.map((r) => r.argv)), lines: [...(latest ? [latest.line] : []), ...unreadable] },
        ...(seen.size > 1 ? [{ lines: [`${seen.size} different requests failed recently; the newest is used`], note: 'choose another with --url' }] : []),
      ],
    };
  },
});
