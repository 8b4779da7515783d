import { shownCommand } from '../shell/quote.js';
import type { BackendHint, KnownFacts } from '../facts/keys.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { fpmServiceNames } from '../system/php-fpm.js';
import { parsePs } from '../system/ps.js';
import {
  ancestors,
  initScriptManages,
  isSupervisord,
  parseDockerPs,
  parseInitScripts,
  parsePm2List,
  type Pm2App,
  pm2Command,
  pm2Home,
  parseSupervisorStatus,
  runsvdirDir,
  runsvService,
  s6ScanDir,
  s6SuperviseService,
  svTarget,
  parseUnitFiles,
  supervisorOf,
  systemdRunning,
  unitFromCgroup,
} from '../system/services.js';
import { notExamined, onBackend, unseen } from '../facts/backend-view.js';
import { failedServer, listenersAt } from '../facts/failed-server.js';
import { type DialledAddress, parseServiceDefs, type ServiceDefinition, serviceDefsCommand } from '../system/service-defs.js';
import { defineCheck } from './check.js';
import { containerCommand, parseContainerConfigs, publishedConfigsCommand } from '../system/docker-proxy.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';

const PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
const SYSTEMD = ['stat', '-c', '%F', '--', '/run/systemd/system'];
const INIT_D = ['ls', '-1', '--', '/etc/init.d'];
const UNIT_FILES = ['systemctl', 'list-unit-files', '--type=service', '--no-legend', '--no-pager'];
const SUPERVISOR = ['supervisorctl', 'status'];
const DOCKER = ['docker', 'ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}}'];

const key = (argv: readonly string[]) => argv.join('\0');
const find = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => key(r.argv) === key(argv));
const cgroupOf = (pid: number) => ['cat', '--', `/proc/${pid}/cgroup`];
const scriptOf = (name: string) => ['cat', '--', `/etc/init.d/${name}`];

/** The socket or port nginx dials, as service definitions would name it. */
function dialledAddress(facts: KnownFacts): DialledAddress | null {
  if (!facts['upstream.target']) return null;
  const server = failedServer(facts);
  if (!server) return null;
  return server.kind === 'unix' ? { kind: 'unix', path: server.socket } : { kind: 'tcp', port: server.port, uwsgiApps: facts['upstream.module'] === 'uwsgi' };
}

/** Processes whose cgroup the look-ahead reads: the few listening where nginx dials, the backend's likely hint. */
const MAX_EARLY_CGROUPS = 4;

/**
 * What plan() will likely ask beyond what every box answers, known before the backend's hint is: the
 * service definitions naming the dialled address (asked when nothing runs there), or else the cgroups of
 * the processes listening there now and the init scripts named after them (the hint is one of them).
 */
function likelyAsked(facts: KnownFacts): string[][] {
  // Before the route is known in full (which kind of address nginx dials), only what every box answers.
  if (facts['upstream.kind'] === undefined) return [];
  const address = dialledAddress(facts);
  const server = failedServer(facts);
  const there = server ? listenersAt(server, facts.listeners ?? []) : [];
  const pids = there.flatMap((l) => [l.pids?.at(-1) ?? l.pid, l.pid]);
  const cgroups = [...new Set(pids.filter((pid): pid is number => pid !== null && pid !== undefined))].slice(0, MAX_EARLY_CGROUPS).map(cgroupOf);
  // The init scripts named like it (a php-fpm's by its binary's name, as its pool's hint names them).
  const names = there.flatMap((l) => (l.process ? [l.process, ...(/^php-fpm/.test(l.process) ? fpmServiceNames(l.process) : [])] : []));
  const scripts = [...new Set(names.filter((n) => /^[\w.@-]+$/.test(n)))].slice(0, MAX_EARLY_CGROUPS).map(scriptOf);
  // The definitions that name the address are read for a backend that is not running (nothing listens there)
  // and for one no manager is seen over, which only the next round can tell: asked ahead either way.
  const published = address?.kind === 'tcp' && !there.length ? [publishedConfigsCommand(address.port)] : [];
  return [...(address ? [serviceDefsCommand(address)] : []), ...published, ...cgroups, ...scripts];
}

/** The pm2 daemons running on the box, by the home each serves (at most two are asked). */
function pm2Homes(processes: ReturnType<typeof parsePs>): string[] {
  return [...new Set(processes.map((p) => pm2Home(p.args)).filter((h): h is string => h !== null))].slice(0, 2);
}

function pm2Apps(done: readonly CommandResult[], home: string) {
  return parsePm2List(find(done, pm2Command(home, 'jlist'))?.stdout ?? '');
}

function ofSupervisor(program: string, why: string): Management {
  const run = (verb: string) => ['supervisorctl', verb, program];
  return { manager: 'supervisor', unit: program, start: run('start'), stop: run('stop'), restart: run('restart'), reload: [], why };
}

/** A runit service: sv talks to its runsv, which starts, stops and restarts the program (sv restart: TERM, then start). */
function ofRunit(service: string, dir: string | null, why: string): Management {
  const run = (verb: string) => ['sv', verb, svTarget(service, dir)];
  return { manager: 'runit', unit: service, start: run('start'), stop: run('stop'), restart: run('restart'), reload: run('reload'), why };
}

/** An s6 service: s6-svc tells its s6-supervise to bring it up (-u), down (-d), restart it (-r: TERM, then up again) or send it HUP (-h). */
function ofS6(service: string, scandir: string, why: string): Management {
  const run = (flag: string) => ['s6-svc', flag, `${scandir}/${service}`];
  return { manager: 's6', unit: service, start: run('-u'), stop: run('-d'), restart: run('-r'), reload: run('-h'), why };
}

function ofPm2(home: string, app: string, why: string): Management {
  const run = (verb: string) => pm2Command(home, verb, app);
  return { manager: 'pm2', unit: app, start: run('start'), stop: run('stop'), restart: run('restart'), reload: run('reload'), why };
}

/** The service definitions that name the dialled address (asked only when nothing runs there). */
function definitions(facts: KnownFacts, done: readonly CommandResult[]): ServiceDefinition[] {
  const address = dialledAddress(facts);
  const run = address ? find(done, serviceDefsCommand(address)) : undefined;
  return address && run?.code === 0 ? parseServiceDefs(run.stdout, address) : [];
}

export interface Management {
  manager: 'systemd' | 'sysv' | 'supervisor' | 'runit' | 's6' | 'pm2' | 'docker' | 'process' | 'unknown';
  unit: string;
  start: string[];
  stop: string[];
  restart: string[];
  reload: string[];
  why: string;
}

/** Starting a bare program again: php-fpm with its own config; anything else only a person knows. */
function bare(hint: BackendHint): Management {
  const isFpm = hint.binary !== null && hint.conf !== null && /php-fpm/.test(hint.binary);
  const start = isFpm ? [hint.binary as string, '--daemonize', '--fpm-config', hint.conf as string] : [];
  const running = hint.pid !== null;
  return {
    manager: start.length || running ? 'process' : 'unknown',
    unit: hint.label,
    start,
    stop: running ? ['kill', '-QUIT', '--', String(hint.pid)] : [],
    restart: [],
    // php-fpm re-reads its config on SIGUSR2; other programs differ.
    reload: running && isFpm ? ['kill', '-USR2', '--', String(hint.pid)] : [],
    why: running
      ? `${hint.label} runs as a bare process (pid ${hint.pid}): no service manager started it`
      : start.length
        ? `no service manager knows ${hint.label}; it is started by hand`
        : `nothing on this box says how ${hint.label} is started`,
  };
}

function ofService(manager: 'systemd' | 'sysv', name: string, why: string): Management {
  const run = (verb: string) => (manager === 'systemd' ? ['systemctl', verb, name] : ['service', name, verb]);
  return { manager, unit: name, start: run('start'), stop: run('stop'), restart: run('restart'), reload: run('reload'), why };
}

interface Seen {
  hint: BackendHint;
  systemd: boolean;
  scripts: string[];
  chain: ReturnType<typeof ancestors>;
  cgroupUnit: string | null;
}

function seen(facts: KnownFacts, done: readonly CommandResult[]): Seen {
  const given = need(facts, 'backend.hint');
  const systemdRun = find(done, SYSTEMD);
  const processes = parsePs(find(done, PS)?.stdout ?? '');
  // A hint from a listener names the process, not its program: ps gives the program an init script names.
  const program = given.binary === null && given.pid !== null ? processes.find((p) => p.pid === given.pid)?.args.split(' ')[0] : undefined;
  const hint = program?.startsWith('/') ? { ...given, binary: program } : given;
  return {
    hint,
    systemd: systemdRunning(systemdRun?.stdout ?? '', systemdRun?.code ?? null),
    scripts: find(done, INIT_D)?.code === 0 ? parseInitScripts(find(done, INIT_D)?.stdout ?? '') : [],
    chain: hint.pid !== null ? ancestors(processes, hint.pid) : [],
    cgroupUnit: hint.pid !== null ? unitFromCgroup(find(done, cgroupOf(hint.pid))?.stdout ?? '') : null,
  };
}

/** A pm2 app, stopped or errored, whose environment's PORT or arguments name the dialled address. */
function pm2AppFor(facts: KnownFacts, done: readonly CommandResult[], processes: ReturnType<typeof parsePs>): Management | null {
  const address = dialledAddress(facts);
  if (!address) return null;
  for (const home of pm2Homes(processes)) {
    const apps = pm2Apps(done, home);
    const app = apps.find((a) => (address.kind === 'tcp' ? a.port === address.port : a.command.includes(address.path)));
    if (app) return pm2Managed(home, app, `pm2 (${home}) has the app ${app.name} for it (${address.kind === 'tcp' ? `PORT=${app.port}` : address.path}), ${app.status}`);
    // The app may read its address from its own config file: the one app pm2 has that is not online is the likely one.
    const down = apps.filter((a) => a.status !== 'online');
    if (down.length === 1 && down[0]) {
      const only = down[0];
      return pm2Managed(
        home,
        only,
        `pm2 (${home}) has one app that is not online, ${only.name} (${only.status}), and none whose PORT or arguments name ${address.kind === 'tcp' ? address.port : address.path}: likely this one`,
      );
    }
  }
  return null;
}

/** A pm2 app to start, unless pm2 is already starting it again and again (it exits at each start: another start fails the same way). */
function pm2Managed(home: string, app: Pm2App, why: string): Management {
  const looping = app.status !== 'stopped' && (app.restarts ?? 0) > 0;
  if (!looping) return ofPm2(home, app.name, why);
  return {
    ...ofPm2(home, app.name, ''),
    start: [],
    why: `${why}; pm2 has started it ${app.restarts} times and it exits each time, so another start fails the same way until its error log's error is fixed`,
  };
}

/**
 * Nothing runs at the address, and no service is named like the backend: the service whose own
 * definition binds the address is the one to start (a supervisord program, a systemd unit, an init
 * script or its /etc/default file).
 */
function configuredService(s: Seen, defs: ServiceDefinition[], processes: ReturnType<typeof parsePs>, done: readonly CommandResult[]): Management | null {
  // A runit service is supervised only while its runsv runs (runsvdir starts one per linked service).
  const runit = defs.find((d) => d.kind === 'runit' && processes.some((p) => runsvService(p.args) === d.name));
  if (runit) return ofRunit(runit.name, runsvdirDir(processes), `runit's service ${runit.name} starts it (${runit.file}: ${runit.line}), and its runsv is up`);
  // Likewise an s6 service while its s6-supervise runs, in the scan directory s6-svscan watches.
  const scandir = s6ScanDir(processes);
  const s6 = scandir ? defs.find((d) => d.kind === 's6' && d.file.startsWith(`${scandir}/`) && processes.some((p) => s6SuperviseService(p.args) === d.name)) : undefined;
  if (s6 && scandir) return ofS6(s6.name, scandir, `s6's service ${s6.name} starts it (${s6.file}: ${s6.line}), and its s6-supervise is up`);
  const program = defs.find((d) => d.kind === 'supervisor');
  if (program) {
    const running = processes.some((p) => isSupervisord(p.args));
    const why = `supervisord's program ${program.name} binds it (${program.file}: ${program.line})`;
    // FATAL: supervisord gave up after the program exited at each start; another start fails the same way.
    const state = parseSupervisorStatus(find(done, SUPERVISOR)?.stdout ?? '').find((p) => p.name === program.name)?.state;
    if (running && state === 'FATAL') {
      return {
        ...ofSupervisor(program.name, ''),
        start: [],
        why: `${why}, but supervisord gave up on it (FATAL): it exited at each start, so starting it again fails the same way until its log's error is fixed`,
      };
    }
    if (running) return ofSupervisor(program.name, why);
    const supervisor = s.systemd ? ofService('systemd', 'supervisor.service', '') : ofService('sysv', 'supervisor', '');
    return { ...supervisor, why: `supervisord's program ${program.name} binds it (${program.file}), and supervisord itself is not running: starting it starts the program` };
  }
  const unit = s.systemd ? defs.find((d) => d.kind === 'systemd') : undefined;
  if (unit) return ofService('systemd', unit.name, `the systemd unit ${unit.name} binds it (${unit.file}: ${unit.line})`);
  const script = defs.find((d) => d.kind === 'sysv' && s.scripts.includes(d.name));
  if (script) {
    const why = `/etc/init.d/${script.name} starts it (${script.file}: ${script.line})`;
    return s.systemd ? ofService('systemd', `${script.name}.service`, `${why}; systemd runs it`) : ofService('sysv', script.name, why);
  }
  const idleUnit = s.systemd ? undefined : defs.find((d) => d.kind === 'systemd');
  return idleUnit ? unitWithoutSystemd(idleUnit) : null;
}

/** A unit that binds the address on a box where systemd does not run: its program started as the unit says. */
function unitWithoutSystemd(unit: ServiceDefinition): Management {
  const why = `the systemd unit ${unit.name} starts it (${unit.file}: ${unit.line}), but systemd is not running on this box`;
  const byHand = unit.byHand;
  if (!byHand || 'reason' in byHand) {
    return { manager: 'unknown', unit: unit.name, start: [], stop: [], restart: [], reload: [], why: `${why}, and ${byHand?.reason ?? 'its ExecStart is not known'}: start its ExecStart by hand` };
  }
  return {
    manager: 'process',
    unit: unit.name,
    start: byHand.argv,
    stop: [],
    restart: [],
    reload: [],
    why: `${why}: its ExecStart is started by hand as the unit says (its User, WorkingDirectory and Environment; output appended to ${byHand.log}), and nothing restarts it if it stops again`,
  };
}

/** A container docker's records say publishes the dialled port: started with docker (compose's `up -d` when compose made it). */
function publishingContainer(facts: KnownFacts, done: readonly CommandResult[]): Management | null {
  const address = dialledAddress(facts);
  if (address?.kind !== 'tcp') return null;
  const c = parseContainerConfigs(find(done, publishedConfigsCommand(address.port))?.stdout ?? '')[0];
  if (!c) return null;
  const made = c.compose ? `, compose service ${c.compose.service} of project ${c.compose.project}` : '';
  return {
    manager: 'docker',
    unit: c.name,
    start: containerCommand(c, 'start'),
    stop: containerCommand(c, 'stop'),
    restart: containerCommand(c, 'restart'),
    reload: [],
    why: `the docker container ${c.name} publishes port ${address.port} (${c.file})${made}${c.running === false ? ', and it is stopped' : ''}`,
  };
}

/** The logs the managing definition names for the unit it picked: a supervisord program's, a pm2 app's, a unit's. */
function logsOf(facts: KnownFacts, done: readonly CommandResult[], m: Management): string[] {
  const defined = definitions(facts, done).filter((d) => d.name === m.unit || `${d.name}.service` === m.unit);
  const pm2 = m.manager === 'pm2' ? pm2Homes(parsePs(find(done, PS)?.stdout ?? '')).flatMap((home) => pm2Apps(done, home).filter((a) => a.name === m.unit)) : [];
  return [...new Set([...defined.flatMap((d) => d.logs), ...pm2.flatMap((a) => a.logs)])].slice(0, 4);
}

/** What manages the backend, from what ran. */
export function management(facts: KnownFacts, done: readonly CommandResult[]): Management {
  const s = seen(facts, done);
  const { hint } = s;
  const parent = supervisorOf(s.chain);
  if (parent?.kind === 'docker') {
    const container = parseDockerPs(find(done, DOCKER)?.stdout ?? '').find((c) => c.id.startsWith(parent.container));
    const name = container?.name ?? parent.container.slice(0, 12);
    return {
      manager: 'docker',
      unit: name,
      start: ['docker', 'start', name],
      stop: ['docker', 'stop', name],
      restart: ['docker', 'restart', name],
      reload: [],
      why: `${hint.label} runs in the docker container ${name}`,
    };
  }
  if (parent?.kind === 's6') {
    const scandir = s6ScanDir(parsePs(find(done, PS)?.stdout ?? ''));
    if (scandir) return ofS6(parent.service, scandir, `s6's s6-supervise ${parent.service} (pid ${parent.pid}) runs ${hint.label}, in ${scandir}`);
  }
  if (parent?.kind === 'runit') {
    const processes = parsePs(find(done, PS)?.stdout ?? '');
    return ofRunit(parent.service, runsvdirDir(processes), `runit's runsv ${parent.service} (pid ${parent.pid}) runs ${hint.label}`);
  }
  if (parent?.kind === 'supervisor') {
    const program = parseSupervisorStatus(find(done, SUPERVISOR)?.stdout ?? '').find((p) => p.pid !== null && s.chain.some((c) => c.pid === p.pid));
    if (program) return ofSupervisor(program.name, `supervisord runs ${hint.label} as its program ${program.name}`);
  }
  if (parent?.kind === 'pm2') {
    const home = pm2Home(s.chain.find((c) => c.pid === parent.pid)?.args ?? '');
    const app = home ? pm2Apps(done, home).find((a) => a.pid !== null && s.chain.some((c) => c.pid === a.pid)) : undefined;
    if (home && app) return ofPm2(home, app.name, `pm2 (${home}) runs ${hint.label} as its app ${app.name}`);
  }
  if (s.systemd && s.cgroupUnit) return ofService('systemd', s.cgroupUnit, `${hint.label} runs in the systemd unit ${s.cgroupUnit}`);
  if (s.systemd && hint.pid === null) {
    const units = parseUnitFiles(find(done, UNIT_FILES)?.stdout ?? '');
    const unit = hint.names.map((n) => `${n}.service`).find((n) => units.some((u) => u.unit === n));
    if (unit) return ofService('systemd', unit, `systemd has the unit ${unit} for ${hint.label}`);
  }
  if (hint.pid === null) {
    const processes = parsePs(find(done, PS)?.stdout ?? '');
    const configured = pm2AppFor(facts, done, processes) ?? configuredService(s, definitions(facts, done), processes, done) ?? publishingContainer(facts, done);
    if (configured) return configured;
  }
  // A supervised or systemd-run process is not the init script's, even if one exists for its name.
  if (!s.cgroupUnit && !parent) {
    const script = hint.names.find((n) => s.scripts.includes(n) && initScriptManages(find(done, scriptOf(n))?.stdout ?? '', hint));
    if (script) {
      // On a systemd box `service` hands over to systemctl anyway; say what really runs.
      return s.systemd
        ? ofService('systemd', `${script}.service`, `/etc/init.d/${script} manages ${hint.label}; systemd runs it`)
        : ofService('sysv', script, `/etc/init.d/${script} starts ${hint.label} (this box has no systemd)`);
    }
    // An init script named otherwise (shop for gunicorn) whose own lines or /etc/default file bind the address it holds.
    const defined = hint.pid !== null ? definitions(facts, done).find((d) => d.kind === 'sysv' && s.scripts.includes(d.name)) : undefined;
    if (defined) {
      const why = `/etc/init.d/${defined.name} starts ${hint.label}: ${defined.file} binds the address it holds (${defined.line})`;
      return s.systemd ? ofService('systemd', `${defined.name}.service`, `${why}; systemd runs it`) : ofService('sysv', defined.name, why);
    }
  }
  return bare(hint);
}

/** How is the backend started, stopped and reloaded on this box? The fix's commands follow from it. */
export const serviceManager = defineCheck({
  id: 'service.manager',
  guide: 'backend-running',
  outcomes: ['systemd', 'sysv', 'supervisor', 'runit', 's6', 'pm2', 'docker', 'process', 'unknown'],
  needs: ['backend.hint'],
  early: (facts) => (facts['upstream.target'] ? [SYSTEMD, INIT_D, PS, UNIT_FILES, ...likelyAsked(facts)].map((argv) => onBackend({ argv, timeoutMs: 8000 })) : []),
  learns: ['service.manager', 'service.unit', 'service.start', 'service.stop', 'service.restart', 'service.reload', 'service.logs'],

  plan(facts, done): CommandSpec[] {
    const hint = need(facts, 'backend.hint');
    const wanted: string[][] = [SYSTEMD, INIT_D, PS];
    if (hint.pid !== null) wanted.push(cgroupOf(hint.pid));
    if (wanted.every((argv) => find(done, argv))) {
      const s = seen(facts, done);
      if (s.systemd && hint.pid === null) wanted.push(UNIT_FILES);
      const address = dialledAddress(facts);
      // A running process no manager is seen over may still be an init script's: its definitions say.
      const unmanaged = hint.pid !== null && !supervisorOf(s.chain) && !s.cgroupUnit;
      if ((hint.pid === null || unmanaged) && address) wanted.push(serviceDefsCommand(address));
      // A stopped container's docker-proxy is gone with it; docker's record of the container still publishes the port.
      if (hint.pid === null && address?.kind === 'tcp') wanted.push(publishedConfigsCommand(address.port));
      // Only ask a pm2 daemon that runs, with its own home: any other `pm2 jlist` starts a daemon.
      const processes = parsePs(find(done, PS)?.stdout ?? '');
      if (hint.pid === null) for (const home of pm2Homes(processes)) wanted.push(pm2Command(home, 'jlist'));
      for (const name of hint.names) if (s.scripts.includes(name)) wanted.push(scriptOf(name));
      const parent = supervisorOf(s.chain);
      // Only ask a manager that runs: docker would wait on its socket. A stopped program's state (once its
      // definition is found) says whether supervisord gave up on it.
      const programDefined = hint.pid === null && processes.some((p) => isSupervisord(p.args)) && definitions(facts, done).some((d) => d.kind === 'supervisor');
      if (parent?.kind === 'supervisor' || programDefined) wanted.push(SUPERVISOR);
      const pm2 = parent?.kind === 'pm2' ? pm2Home(s.chain.find((c) => c.pid === parent.pid)?.args ?? '') : null;
      if (pm2) wanted.push(pm2Command(pm2, 'jlist'));
      if (parent?.kind === 'docker') wanted.push(DOCKER);
    }
    // What manages the backend is a question about the backend's own box.
    if (unseen(find(done, SYSTEMD))) return [];
    return wanted.filter((argv) => !find(done, argv)).map((argv) => onBackend({ argv, timeoutMs: 8000 }));
  },

  interpret(facts, results) {
    if (unseen(find(results, SYSTEMD))) {
      const why = "the backend's box was not examined, so what starts the backend there is not known";
      return {
        outcome: 'unknown',
        facts: {
          'service.manager': 'unknown',
          'service.unit': need(facts, 'backend.hint').label,
          'service.start': [],
          'service.stop': [],
          'service.restart': [],
          'service.reload': [],
          'service.logs': [],
        },
        summary: why,
        evidence: [notExamined(facts['upstream.target'] ?? 'the backend', 'its service manager')],
      };
    }
    const m = management(facts, results);
    const s = seen(facts, results);
    const evidence: Evidence[] = [
      { command: shownCommand(SYSTEMD), lines: [s.systemd ? 'systemd runs this box (/run/systemd/system exists)' : 'no systemd running (/run/systemd/system is absent): systemctl cannot be used'] },
    ];
    if (s.chain.length) evidence.push({ command: shownCommand(PS), lines: s.chain.slice(0, 4).map((p) => `${p.pid} (parent ${p.ppid}) ${p.args}`) });
    if (s.hint.pid !== null) evidence.push({ command: shownCommand(cgroupOf(s.hint.pid)), lines: [s.cgroupUnit ? `unit ${s.cgroupUnit}` : 'in no systemd service'] });
    const scripts = s.hint.names.filter((n) => s.scripts.includes(n));
    if (scripts.length)
      evidence.push({
        command: shownCommand(INIT_D),
        lines: scripts.map((n) => `/etc/init.d/${n}${m.manager === 'sysv' && m.unit === n ? ' starts this backend' : ' exists, but does not start this one'}`),
      });
    const summary = m.manager === 'unknown' ? m.why : `${m.why}: ${m.start.length ? `start with ${m.start.join(' ')}` : `stop with ${m.stop.join(' ')}`}`;
    evidence.push({ lines: [m.why] });
    return {
      outcome: m.manager,
      facts: {
        'service.manager': m.manager,
        'service.unit': m.unit,
        'service.start': m.start,
        'service.stop': m.stop,
        'service.restart': m.restart,
        'service.reload': m.reload,
        'service.logs': logsOf(facts, results, m),
      },
      summary,
      evidence,
    };
  },
});
