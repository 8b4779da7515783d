import { shownCommand } from '../shell/quote.js';
import type { BackendHint, FpmPool, KnownFacts, Listener } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import type { NginxConfig } from '../nginx/config-types.js';
import { passedEndpoints } from '../nginx/passed-addresses.js';
import { poolAddressForNginx, parseFpmListen, type FpmListen } from '../system/php-fpm.js';
import { parsePs } from '../system/ps.js';
import { parseSs } from '../system/ss.js';
import { defineCheck, type Alternative, type CheckResult } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { bare } from '../facts/addresses.js';
import { describeListener, type Holds, processTree } from '../facts/candidates.js';
import { FPM_PS, fpmPlan, fpmPools, listenMatches, poolHint, type Dial } from '../facts/php-fpm-pools.js';

const SS = ['ss', '-Hltnxp'];

function dialOf(facts: KnownFacts): Dial {
  if (need(facts, 'upstream.kind') === 'unix') return { kind: 'unix', path: need(facts, 'upstream.socket') };
  return { kind: 'tcp', host: bare(need(facts, 'upstream.host')), port: need(facts, 'upstream.port') };
}

/** Addresses some other part of this nginx config sends requests to: another site's backend (not copied). */
export function addressesInUse(config: NginxConfig, except: string): Holds<string> {
  const used = passedEndpoints(config);
  return { has: (address) => address !== except && used.has(address) };
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** Is something listening at a pool's address right now (as this box's ss sees it)? */
function listensNow(listen: FpmListen, listeners: readonly Listener[]): boolean {
  return listeners.some((l) => (listen.kind === 'unix' ? l.netid === 'unix' && l.path === listen.path : l.netid !== 'unix' && l.port === listen.port));
}

/**
 * Nearest first. A running pool beats a stopped one; then a socket in the directory nginx dials
 * (php8.1-fpm.sock vs php8.2-fpm.sock), then a pool of the other kind (TCP for a socket, or the
 * reverse: a classic mix-up), then a socket anywhere else; among equals, one that listens now.
 */
export function rankPools(pools: FpmPool[], dial: Dial, listeners: readonly Listener[] = []): FpmPool[] {
  const score = (p: FpmPool) => {
    const listen = parseFpmListen(p.values.listen ?? '');
    const tier = !listen ? 0 : listen.kind !== dial.kind ? 2 : listen.kind === 'unix' && dial.kind === 'unix' && dirOf(listen.path) === dirOf(dial.path) ? 3 : 1;
    return (p.masterPid !== null ? 100 : 0) + tier * 10 + (listen && listensNow(listen, listeners) ? 1 : 0);
  };
  return [...pools].sort((a, b) => score(b) - score(a));
}

/** The process that owns a listener: the root of the pids holding it (php-fpm's master, not a child). */
function ownerPid(l: Listener): number | null {
  const pids = l.pids ?? (l.pid !== null ? [l.pid] : []);
  return pids.at(-1) ?? null;
}

function listenerHint(l: Listener): BackendHint {
  const name = l.process ?? 'the backend';
  return { pid: ownerPid(l), binary: null, conf: null, names: l.process ? [l.process] : [], label: `${name}${ownerPid(l) ? ` pid ${ownerPid(l)}` : ''}` };
}

/** Programs that serve web applications behind nginx in the protocol of each *_pass, by the name ss gives their process. */
const APP_SERVERS: Record<string, RegExp> = {
  proxy: /^(gunicorn|uvicorn|hypercorn|daphne|waitress-serve|puma|unicorn|passenger|thin|node|nodejs|bun|deno|python[\d.]*|ruby|java|dotnet|starman|plackup|hypnotoad|gitea|grafana)$/,
  fastcgi: /^(php-fpm[\d.]*|php-cgi[\d.]*)$/,
  uwsgi: /^uwsgi(-core)?$/,
};

function isAppServer(process: string | null, module: string): boolean {
  return process !== null && (APP_SERVERS[module]?.test(process) ?? false);
}

function poolAlternative(p: FpmPool, dial: Dial, dialText: string): Alternative<Outcome>[] {
  const listen = parseFpmListen(p.values.listen ?? '');
  if (!listen) return [];
  const outcome = listen.kind === 'unix' ? (dial.kind === 'unix' ? 'other-socket' : 'unix') : dial.kind === 'unix' ? 'tcp' : null;
  if (!outcome) return [];
  const instead = listen.kind === 'unix' ? listen.path : poolAddressForNginx(listen);
  return [
    {
      label: `pool ${p.name} at ${p.values.listen} (${p.conf})`,
      outcome,
      facts: { 'fpm.pool': p, 'backend.hint': poolHint(p), 'backend.listenInstead': instead },
      summary: `nginx dials ${dialText}, but php-fpm pool ${p.name} listens at ${p.values.listen}`,
    },
  ];
}

const NOBODY: BackendHint = { pid: null, binary: null, conf: null, names: [], label: 'the backend' };

const OUTCOMES = ['same', 'other-socket', 'tcp', 'unix', 'unknown'] as const;
type Outcome = (typeof OUTCOMES)[number];

/**
 * Where is the backend configured to listen, compared with what nginx dials? php-fpm pools are read
 * from php-fpm's own config (nginx's fastcgi_pass); other backends are known only by their listeners.
 */
export const backendConfig = defineCheck({
  id: 'backend.config',
  guide: 'upstream-config',
  outcomes: OUTCOMES,
  needs: ['upstream.kind', 'upstream.target', 'upstream.module', 'nginx.config', 'nginx.masterPid'],
  // Every round reads: the listeners, php-fpm's processes, its config files and its own test of them. The
  // rounds need only the module and the address: php-fpm's take three or four, so they start once the route is known.
  early: 'every-round',
  aheadNeeds: ['upstream.module', 'upstream.target'],
  learns: ['fpm.pools', 'backend.hint', 'listeners'],
  learnsOn: { 'other-socket': ['backend.listenInstead'], tcp: ['backend.listenInstead'], unix: ['backend.listenInstead'] },

  // The backend's own box: its listeners and its php-fpm (nginx's box when the backend is a unix socket or local).
  plan(facts, done) {
    const first = done.length === 0 ? [{ argv: SS }] : [];
    if (need(facts, 'upstream.module') !== 'fastcgi') return (done.length === 0 ? [...first, { argv: FPM_PS }] : []).map(onBackend);
    if (unseen(done.find((r) => r.argv.join(' ') === SS.join(' ')))) return [];
    return [...first, ...fpmPlan(done)].map(onBackend);
  },

  interpret(facts, results: readonly CommandResult[]): CheckResult<Outcome> {
    const dial = dialOf(facts);
    const target = need(facts, 'upstream.target');
    const fastcgi = need(facts, 'upstream.module') === 'fastcgi';
    const listeners = parseSs(results.find((r) => r.argv.join(' ') === SS.join(' '))?.stdout ?? '');
    const processes = parsePs(results.find((r) => r.argv.join(' ') === FPM_PS.join(' '))?.stdout ?? '');
    const nginxPids = processTree(processes, need(facts, 'nginx.masterPid'));
    const { pools, evidence } = fastcgi ? fpmPools(results) : { pools: [] as FpmPool[], evidence: [] as Evidence[] };
    const inUse = addressesInUse(need(facts, 'nginx.config'), dial.kind === 'unix' ? `unix:${dial.path}` : target);
    const base: KnownFacts = { 'fpm.pools': pools, listeners };
    const dialText = dial.kind === 'unix' ? `unix:${dial.path}` : target;
    if (unseen(results.find((r) => r.argv.join(' ') === SS.join(' ')))) {
      return {
        outcome: 'unknown',
        facts: { ...base, 'backend.hint': NOBODY },
        summary: `how the backend at ${dialText} is set up is not known: its box was not examined`,
        evidence: [notExamined(dialText, 'how the backend is configured and what listens there')],
      };
    }
    if (fastcgi && !pools.length) evidence.push({ lines: ['no php-fpm master runs and no php-fpm.conf is installed'] });

    const same = pools.find((p) => {
      const listen = parseFpmListen(p.values.listen ?? '');
      return listen !== null && listenMatches(listen, dial);
    });
    if (same) {
      evidence.push({
        lines: [`pool ${same.name} is configured to listen at ${same.values.listen}${same.places.listen ? ` (${same.places.listen.file}:${same.places.listen.line})` : ''}, where nginx dials`],
      });
      return {
        outcome: 'same',
        facts: { ...base, 'fpm.pool': same, 'backend.hint': poolHint(same) },
        summary: `php-fpm pool ${same.name} should listen at ${dialText}${same.masterPid === null ? ', but its php-fpm is not running' : ''}`,
        evidence,
      };
    }

    // Pools elsewhere that no other site of this nginx uses.
    const elsewhere = rankPools(
      pools.filter((p) => {
        const listen = parseFpmListen(p.values.listen ?? '');
        return listen !== null && !inUse.has(poolAddressForNginx(listen));
      }),
      dial,
      listeners,
    );
    const pool = elsewhere[0];
    if (pool) {
      const listen = parseFpmListen(pool.values.listen ?? '') as FpmListen;
      const outcome = listen.kind === 'unix' ? (dial.kind === 'unix' ? 'other-socket' : 'unix') : dial.kind === 'unix' ? 'tcp' : null;
      if (outcome) {
        const instead = listen.kind === 'unix' ? listen.path : poolAddressForNginx(listen);
        evidence.push({
          lines: [`nginx dials ${dialText}; pool ${pool.name} listens at ${pool.values.listen}${pool.places.listen ? ` (${pool.places.listen.file}:${pool.places.listen.line})` : ''}`],
        });
        const result: CheckResult<Outcome> = {
          outcome,
          facts: { ...base, 'fpm.pool': pool, 'backend.hint': poolHint(pool), 'backend.listenInstead': instead },
          summary: `nginx dials ${dialText}, but php-fpm pool ${pool.name} listens at ${pool.values.listen}`,
          evidence,
        };
        const alternatives = elsewhere.slice(0, 4).flatMap((p) => poolAlternative(p, dial, dialText));
        if (alternatives.length > 1) {
          evidence.push({ lines: [`taken as this site's pool: ${pool.name} (${pool.conf}), the nearest of ${elsewhere.length}`], note: 'if it is not, the wizard lets you pick another' });
          result.ask = {
            question: `Nothing is configured at ${dialText}. Which php-fpm pool should serve this site?`,
            alternatives: [
              ...alternatives,
              { label: 'None of these: its php-fpm is stopped', outcome: 'unknown', facts: { 'backend.hint': NOBODY }, summary: `no backend is configured at ${dialText}` },
            ],
          };
        }
        return result;
      }
    }

    // Any backend: sockets and ports that nginx's own processes hold, or another site uses, do not count.
    const others = listeners.filter((l) => !(l.pid !== null && nginxPids.has(l.pid)) && !/^nginx/.test(l.process ?? '') && l.process !== null);
    const running = dial.kind === 'unix' ? others.find((l) => l.netid === 'unix' && l.path === dial.path) : undefined;
    const nearSockets = dial.kind === 'unix' ? others.filter((l) => l.netid === 'unix' && l.path && l.path !== dial.path && !inUse.has(`unix:${l.path}`) && dirOf(l.path) === dirOf(dial.path)) : [];
    const evidenceLines = others.slice(0, 10).map(describeListener);
    evidence.push({ command: shownCommand(SS), lines: evidenceLines.length ? evidenceLines : ['no listener of another program'] });
    if (running) return { outcome: 'same', facts: { ...base, 'backend.hint': listenerHint(running) }, summary: `${running.process} listens on ${dial.kind === 'unix' ? dial.path : target}`, evidence };
    const near = nearSockets[0];
    if (near?.path) {
      return {
        outcome: 'other-socket',
        facts: { ...base, 'backend.hint': listenerHint(near), 'backend.listenInstead': near.path },
        summary: `nginx dials ${dialText}; ${near.process} listens on ${near.path} in the same directory`,
        evidence,
      };
    }
    // A listener of the other kind is this backend when it is the box's only application server of that
    // kind speaking nginx's protocol (sshd, databases, a php-fpm behind proxy_pass are not); else only a person can tell.
    const unknown = `no backend is configured or listening at ${dialText}`;
    const kindInstead =
      dial.kind === 'unix'
        ? others.filter((l) => l.netid !== 'unix' && l.port !== null && !inUse.has(`${l.address}:${l.port}`))
        : others.filter((l) => l.netid === 'unix' && l.path && !inUse.has(`unix:${l.path}`));
    const alternativeOf = (l: Listener): Alternative<Outcome> => {
      const instead = l.netid === 'unix' ? (l.path as string) : `${['0.0.0.0', '*', '[::]', '::'].includes(l.address) ? '127.0.0.1' : l.address}:${l.port}`;
      return {
        label: `${describeListener(l)} is this backend`,
        outcome: dial.kind === 'unix' ? 'tcp' : 'unix',
        facts: { 'backend.hint': listenerHint(l), 'backend.listenInstead': instead },
        summary: `nginx dials ${dialText}, but the backend listens at ${instead}`,
      };
    };
    const alternatives = kindInstead.slice(0, 4).map(alternativeOf);
    const apps = kindInstead.filter((l) => isAppServer(l.process, need(facts, 'upstream.module')));
    const only = apps.length === 1 ? alternativeOf(apps[0] as Listener) : undefined;
    if (only) {
      evidence.push({ lines: [`${describeListener(apps[0] as Listener)} is the only application server listening on ${dial.kind === 'unix' ? 'TCP' : 'a unix socket'} here`] });
      return { outcome: only.outcome, facts: { ...base, ...only.facts }, summary: only.summary, evidence };
    }
    const result: CheckResult<Outcome> = { outcome: 'unknown', facts: { ...base, 'backend.hint': NOBODY }, summary: unknown, evidence };
    if (alternatives.length) {
      result.ask = {
        question: `Nothing listens at ${dialText}. Is one of these the backend, listening on ${dial.kind === 'unix' ? 'TCP' : 'a socket'}?`,
        alternatives: [{ label: 'None of these: the backend is not running', outcome: 'unknown', facts: {}, summary: unknown }, ...alternatives],
      };
    }
    return result;
  },
});
