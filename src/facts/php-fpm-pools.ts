import { shownCommand } from '../shell/quote.js';
import type { BackendHint, FpmKey, FpmPool, KnownFacts } from './keys.js';
import { need } from './need.js';
import type { CommandResult, CommandSpec } from '../hosts/host.js';
import { parsePs } from '../system/ps.js';
import {
  binaryFor,
  FPM_KEYS,
  fpmIncludes,
  fpmServiceNames,
  includedFilesCommand,
  parseFpmListen,
  includeSearch,
  parseFpmIni,
  parseFpmTest,
  phpFpmMasters,
  poolPlaces,
  type FpmListen,
} from '../system/php-fpm.js';
import { printedFiles } from '../system/printed-files.js';
import type { Evidence } from './evidence.js';
import { bare, dialledAddresses } from './addresses.js';

/**
 * Finds every php-fpm pool on the box, in two rounds of commands where the box is laid out as packages lay it
 * out: the masters in ps and the installed configs; then the binary each master runs, each config's text, what
 * `php-fpm -tt` says the config means, and the pool files (for the line numbers of a fix). A master that runs
 * another binary than its config's version names, or a config that includes pools from elsewhere, costs a third.
 * Pure: plans commands from what earlier rounds printed.
 */
export const FPM_PS = ['ps', '-eo', 'pid=,ppid=,user:32=,args='];
export const FPM_FIND_BINARIES = ['find', '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin', '-maxdepth', '1', '-name', 'php-fpm*', '-type', 'f'];
export const FPM_FIND_CONFS = ['find', '/etc/php', '/etc/php-fpm.conf', '/usr/local/etc', '/etc/opt/remi', '-maxdepth', '4', '-name', 'php-fpm.conf', '-type', 'f'];

const MAX_CONFS = 6;
const MAX_INCLUDES = 8;
/** Where packages put a config's pools, beside it: Debian's pool.d; RHEL's, Alpine's and the php image's php-fpm.d. */
const LIKELY_POOL_FOLDERS = ['pool.d', 'php-fpm.d'];
const folderOf = (file: string) => file.slice(0, file.lastIndexOf('/'));

const key = (argv: readonly string[]) => argv.join('\0');
const find = (done: readonly CommandResult[], argv: readonly string[]) => done.find((r) => key(r.argv) === key(argv));
const lines = (r: CommandResult | undefined) =>
  (r?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/'));

interface Install {
  conf: string;
  masterPid: number | null;
  binary: string | null;
}

function installs(done: readonly CommandResult[]): Install[] {
  const masters = phpFpmMasters(parsePs(find(done, FPM_PS)?.stdout ?? ''));
  const binaries = lines(find(done, FPM_FIND_BINARIES));
  const out: Install[] = [];
  for (const m of masters.slice(0, MAX_CONFS)) {
    const exe = find(done, ['readlink', '--', `/proc/${m.pid}/exe`]);
    const path = exe?.code === 0 ? exe.stdout.trim().replace(/ \(deleted\)$/, '') : null;
    out.push({ conf: m.conf, masterPid: m.pid, binary: path || (exe ? binaryFor(m.conf, binaries) : null) });
  }
  for (const conf of lines(find(done, FPM_FIND_CONFS))) {
    if (out.length >= MAX_CONFS) break;
    if (!out.some((i) => i.conf === conf)) out.push({ conf, masterPid: null, binary: binaryFor(conf, binaries) });
  }
  return out;
}

function testCommand(i: Install): string[] | null {
  return i.binary ? [i.binary, '-tt', '-y', i.conf] : null;
}

function includeSearches(done: readonly CommandResult[], conf: string): { dir: string; name: string }[] {
  const text = find(done, ['cat', '--', conf]);
  if (text?.code !== 0) return [];
  return fpmIncludes(parseFpmIni(text.stdout))
    .map(includeSearch)
    .filter((s): s is { dir: string; name: string } => s !== null);
}

const includeCommands = (done: readonly CommandResult[], conf: string) => includeSearches(done, conf).map(includedFilesCommand);

/**
 * The pool files one config includes, with their text, once its includes were read; in name order within each.
 * Only files directly in the include's folder count: a file whose text holds the separator cannot pass another
 * path off as one of them.
 */
function poolFiles(done: readonly CommandResult[], conf: string): { file: string; text: string }[] {
  return includeSearches(done, conf).flatMap((search) => {
    const run = find(done, includedFilesCommand(search));
    if (run?.code !== 0) return [];
    const folder = search.dir.endsWith('/') ? search.dir : `${search.dir}/`;
    const inFolder = (file: string) => file.startsWith(folder) && !file.slice(folder.length).includes('/');
    // Each file's text ends with the newline the command printed after it.
    return printedFiles(run.stdout)
      .filter(({ file }) => inFolder(file))
      .map(({ file, text }) => ({ file, text: text.replace(/\n$/, '') }))
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  });
}

/** The commands still needed, given what ran so far. */
export function fpmPlan(done: readonly CommandResult[]): CommandSpec[] {
  const wanted: string[][] = [FPM_PS, FPM_FIND_BINARIES, FPM_FIND_CONFS];
  if (wanted.every((argv) => find(done, argv))) {
    const binaries = lines(find(done, FPM_FIND_BINARIES));
    for (const m of phpFpmMasters(parsePs(find(done, FPM_PS)?.stdout ?? '')).slice(0, MAX_CONFS)) {
      const exe = ['readlink', '--', `/proc/${m.pid}/exe`];
      wanted.push(exe);
      // A master's binary is known once its readlink ran. Its -tt goes beside the readlink, by the binary its
      // config's version names: only a master that runs another binary waits a round for its own test.
      const guess = find(done, exe) ? null : binaryFor(m.conf, binaries);
      if (guess) wanted.push([guess, '-tt', '-y', m.conf]);
    }
    const all = installs(done);
    for (const i of all) {
      const conf = ['cat', '--', i.conf];
      // The pool folders packages include beside their config, read with it: an include that names one of
      // them costs no round of its own.
      if (!find(done, conf)) wanted.push(...LIKELY_POOL_FOLDERS.map((folder) => includedFilesCommand({ dir: `${folderOf(i.conf)}/${folder}`, name: '*.conf' })));
      wanted.push(conf);
      const test = testCommand(i);
      if (test) wanted.push(test);
    }
    wanted.push(...all.flatMap((i) => includeCommands(done, i.conf)).slice(0, MAX_INCLUDES));
  }
  const seen = new Set<string>();
  return wanted.filter((argv) => !find(done, argv) && !seen.has(key(argv)) && seen.add(key(argv))).map((argv) => ({ argv, timeoutMs: 10_000 }));
}

export interface FpmFindings {
  pools: FpmPool[];
  evidence: Evidence[];
}

/** Every pool php-fpm would run, with where each setting is written. */
/** php-fpm's first reason for rejecting its config, as its test printed it. */
function rejection(parsed: ReturnType<typeof parseFpmTest>, stderr: string): string {
  return parsed.errors[0] ?? stderr.trim().split('\n')[0] ?? 'test failed';
}

export function fpmPools(done: readonly CommandResult[]): FpmFindings {
  const pools: FpmPool[] = [];
  const evidence: Evidence[] = [];
  for (const install of installs(done)) {
    const conf = find(done, ['cat', '--', install.conf]);
    const files = [...(conf?.code === 0 ? [{ file: install.conf, text: conf.stdout }] : []), ...poolFiles(done, install.conf)];
    const places = poolPlaces(files);
    const test = testCommand(install);
    const run = test ? find(done, test) : undefined;
    const parsed = parseFpmTest(run?.stderr ?? '');
    const state = install.masterPid !== null ? `running as pid ${install.masterPid}` : 'not running';
    // A config php-fpm rejects still names its pools; read them from the files so the listen line is known.
    const source = parsed.pools.length
      ? parsed.pools
      : [...places.keys()].map((name) => ({
          name,
          values: Object.fromEntries(
            files.flatMap((f) =>
              parseFpmIni(f.text)
                .filter((s) => s.name === name)
                .flatMap((s) => s.entries.map((e) => [e.key, e.value])),
            ),
          ),
        }));
    for (const pool of source) {
      const values: Partial<Record<FpmKey, string>> = {};
      for (const k of FPM_KEYS) if (pool.values[k] !== undefined) values[k] = pool.values[k] as string;
      const where = places.get(pool.name);
      pools.push({
        name: pool.name,
        masterPid: install.masterPid,
        binary: install.binary ?? 'php-fpm',
        conf: install.conf,
        errorLog: parsed.global.error_log ?? null,
        values,
        places: where?.places ?? {},
        section: where?.section ?? null,
        ...(run && !parsed.ok ? { rejected: rejection(parsed, run.stderr) } : {}),
      });
    }
    evidence.push({
      command: test ? shownCommand(test) : shownCommand(['cat', '--', install.conf]),
      lines: [
        `${install.conf} (${state})${parsed.global.error_log ? `, its log: ${parsed.global.error_log}` : ''}`,
        ...source.map(
          (p) =>
            `[${p.name}] listen = ${p.values.listen ?? '?'}${p.values['listen.owner'] ? `, listen.owner = ${p.values['listen.owner']}` : ''}${p.values['listen.group'] ? `, listen.group = ${p.values['listen.group']}` : ''}${p.values['listen.mode'] ? `, listen.mode = ${p.values['listen.mode']}` : ''}`,
        ),
        ...(run && !parsed.ok ? [`php-fpm rejects this config: ${rejection(parsed, run.stderr)}`] : []),
      ],
    });
  }
  return { pools, evidence };
}

/** Where nginx dials, in the shape a pool's listen value is compared with. */
export type Dial = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** Does a pool's listen value stand for the address nginx dials? */
export function listenMatches(listen: FpmListen, dial: Dial): boolean {
  if (listen.kind === 'unix' || dial.kind === 'unix') return listen.kind === 'unix' && dial.kind === 'unix' && listen.path === dial.path;
  if (listen.port !== dial.port) return false;
  return listen.host === null || dialledAddresses(dial.host).includes(bare(listen.host));
}

/** The pool's master as the service check knows a backend: its binary, config and the service names it has. */
export function poolHint(pool: FpmPool): BackendHint {
  return { pid: pool.masterPid, binary: pool.binary, conf: pool.conf, names: fpmServiceNames(pool.binary), label: `php-fpm pool ${pool.name} (${pool.conf})` };
}

/** The php-fpm pool that listens where nginx dials. */
export function poolFor(pools: readonly FpmPool[], facts: KnownFacts): FpmPool | null {
  const dial: Dial =
    need(facts, 'upstream.kind') === 'unix' ? { kind: 'unix', path: need(facts, 'upstream.socket') } : { kind: 'tcp', host: bare(need(facts, 'upstream.host')), port: need(facts, 'upstream.port') };
  return (
    pools.find((p) => {
      const listen = parseFpmListen(p.values.listen ?? '');
      return listen !== null && listenMatches(listen, dial);
    }) ?? null
  );
}
