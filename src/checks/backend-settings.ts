import type { Evidence } from '../facts/evidence.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { failedServer } from '../facts/failed-server.js';
import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { suggestBacklog, suggestWorkers } from '../fixes/backend-edit.js';
import { shownCommand } from '../shell/quote.js';
import { type BackendSettings, lineGunicorn, supervisorGunicorn, uwsgiIni } from '../system/backend-settings.js';
import { memAvailableKb } from '../system/fpm-log.js';
import { printedFiles } from '../system/printed-files.js';
import { type DialledAddress, serviceDefsCommand } from '../system/service-defs.js';
import { defineCheck } from './check.js';

const MEMINFO = ['cat', '--', '/proc/meminfo'];
const RSS = ['ps', '-eo', 'rss=,args='];
const NPROC = ['nproc'];
const SOMAXCONN = ['cat', '--', '/proc/sys/net/core/somaxconn'];

const ran = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => r.argv.join('\0') === argv.join('\0'));

function addressOf(facts: KnownFacts): DialledAddress | null {
  const server = facts['upstream.target'] ? failedServer(facts) : null;
  if (!server) return null;
  return server.kind === 'unix' ? { kind: 'unix', path: server.socket } : { kind: 'tcp', port: server.port };
}

/** The socket path or port as a definition's --bind names it. */
const markOf = (address: DialledAddress) => (address.kind === 'unix' ? address.path : `:${address.port}`);

/**
 * gunicorn in the supervisord program that manages the backend, in the init script that does (or its
 * /etc/default file), or in its systemd unit's ExecStart=; or the Debian uwsgi app ini for its socket.
 */
function settingsOf(facts: KnownFacts, stdout: string, address: DialledAddress): BackendSettings | null {
  const unit = facts['service.unit'] ?? '';
  const manager = facts['service.manager'];
  // An init script sources its /etc/default file after its own defaults: the file's flags are the ones gunicorn gets.
  const files = printedFiles(stdout).sort((a, b) => Number(b.file.startsWith('/etc/default/')) - Number(a.file.startsWith('/etc/default/')));
  for (const { file, text } of files) {
    if (manager === 'supervisor' && (file.startsWith('/etc/supervisor') || file.startsWith('/etc/supervisord'))) {
      const found = supervisorGunicorn(file, text, unit);
      if (found) return found;
    }
    if (manager === 'sysv' && (file === `/etc/default/${unit}` || file === `/etc/init.d/${unit}`)) {
      const found = lineGunicorn(file, text, markOf(address), 'sysv');
      if (found) return found;
    }
    if (manager === 'systemd' && file.endsWith(`/${unit}`)) {
      const found = lineGunicorn(file, text, markOf(address), 'systemd');
      if (found) return found;
    }
    if (/^\/etc\/uwsgi\/apps-enabled\/[^/]+\.ini$/.test(file)) {
      const found = uwsgiIni(file, text);
      if (found) return found;
    }
  }
  return null;
}

/** Resident memory (kB) of the backend's processes: those of its program that name its socket or its ini. */
function workerRss(ps: string, settings: BackendSettings, address: DialledAddress): number[] {
  const mark = address.kind === 'unix' ? address.path : settings.file;
  const out: number[] = [];
  for (const line of ps.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m && (m[2] as string).includes(settings.program) && ((m[2] as string).includes(mark) || (m[2] as string).includes(settings.file))) out.push(Number(m[1]));
  }
  return out;
}

const WORKER_DEFAULT = { gunicorn: 1, uwsgi: 1 } as const;

/**
 * A gunicorn or uwsgi backend's own settings where its service definition writes them: gunicorn's
 * flags in the supervisord program, the init script or /etc/default file, or the systemd unit that runs it; uwsgi's app ini. A fix that changes the backend
 * (more workers, a longer queue, the socket's mode) edits these lines; the memory, CPUs and
 * net.core.somaxconn size it.
 */
export const backendSettings = defineCheck({
  id: 'backend.settings',
  guide: 'backend-running',
  outcomes: ['gunicorn', 'uwsgi', 'none'],
  needs: ['upstream.target', 'service.manager', 'service.unit'],
  // Its one round reads files and counts, and needs only the address: it runs ahead as soon as the route is known.
  early: 'first-round',
  aheadNeeds: ['upstream.target'],
  learns: [],
  learnsOn: { gunicorn: ['backend.settings', 'backend.workers', 'backend.backlog'], uwsgi: ['backend.settings', 'backend.workers', 'backend.backlog'] },

  plan(facts, done) {
    const address = addressOf(facts);
    if (!address) return [];
    const wanted = [serviceDefsCommand(address), RSS, MEMINFO, NPROC, SOMAXCONN];
    return wanted.filter((argv) => !ran(done, argv)).map((argv) => onBackend({ argv, timeoutMs: 8000 }));
  },

  interpret(facts, results) {
    const address = addressOf(facts);
    const defs = address ? ran(results, serviceDefsCommand(address)) : undefined;
    if (!address || unseen(defs)) {
      return { outcome: 'none', facts: {}, summary: "the backend's box was not examined", evidence: [notExamined(facts['upstream.target'] ?? 'the backend', 'its settings')] };
    }
    const settings = settingsOf(facts, defs?.stdout ?? '', address);
    if (!settings) {
      return {
        outcome: 'none',
        facts: {},
        summary: 'no gunicorn or uwsgi settings of this backend were found in its service definition',
        evidence: [{ command: shownCommand(defs?.argv ?? []), lines: ['no gunicorn command line or uwsgi app ini for this backend'] }],
      };
    }
    const current = Number(settings.values.workers ?? WORKER_DEFAULT[settings.program]);
    const rss = workerRss(ran(results, RSS)?.stdout ?? '', settings, address);
    const available = memAvailableKb(ran(results, MEMINFO)?.stdout ?? '');
    const cpus = Number(ran(results, NPROC)?.stdout.trim()) || null;
    const somaxconn = Number(ran(results, SOMAXCONN)?.stdout.trim()) || null;
    const workers = suggestWorkers(current, rss, available, cpus);
    // gunicorn's default backlog is 2048, uwsgi's 100; the kernel caps either at somaxconn.
    const backlogNow = Number(settings.values.backlog ?? (settings.program === 'gunicorn' ? 2048 : 100));
    const backlog = suggestBacklog(backlogNow, somaxconn);
    const set = (Object.entries(settings.values) as [string, string][]).map(([k, v]) => `${k} ${v}`).join(', ');
    const evidence: Evidence[] = [
      { command: shownCommand(defs?.argv ?? []), lines: [`${settings.program} is set in ${settings.file}:${settings.anchor.line}${set ? `: ${set}` : ''}`] },
      {
        command: shownCommand(RSS, MEMINFO, NPROC, SOMAXCONN),
        lines: [`workers ${workers.why}`, `listen queue ${backlogNow}${somaxconn ? ` (net.core.somaxconn ${somaxconn})` : ''}`],
      },
    ];
    return {
      outcome: settings.program,
      facts: { 'backend.settings': settings, 'backend.workers': workers, 'backend.backlog': { current: backlogNow, suggested: backlog, somaxconn } },
      summary: `${settings.program}'s settings are in ${settings.file}`,
      evidence,
    };
  },
});
