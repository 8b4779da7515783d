/**
 * php-fpm as it runs on a box: its masters in `ps`, the configuration php-fpm itself reads
 * (`php-fpm -tt -y CONF` prints every effective setting as NOTICE lines on stderr), and the ini files
 * that hold each setting, so a fix can name file:line. Pure; fixtures in test/fixtures/php-fpm/.
 */
import type { ConfigPlace, FpmKey, ProcessInfo } from '../facts/keys.js';

export interface FpmMaster {
  pid: number;
  /** The main config, from the title "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)". */
  conf: string;
}

export function phpFpmMasters(processes: readonly ProcessInfo[]): FpmMaster[] {
  const out: FpmMaster[] = [];
  for (const p of processes) {
    const m = /^php-fpm[\w.-]*: master process \((.+)\)\s*$/.exec(p.args.trim());
    if (m) out.push({ pid: p.pid, conf: m[1] as string });
  }
  return out;
}

export interface FpmTest {
  /** php-fpm said "test is successful". */
  ok: boolean;
  global: Record<string, string>;
  pools: { name: string; values: Record<string, string> }[];
  /** ERROR and ALERT lines, without their time stamp: why the test failed. */
  errors: string[];
}

/**
 * `php-fpm -tt` output (stderr): "[21-Nov-2026 13:17:03] NOTICE: \tlisten = /run/php/x.sock". A section
 * header is "NOTICE: [www]"; "undefined" means unset. Values are as php-fpm expanded them ($pool, env).
 */
export function parseFpmTest(stderr: string): FpmTest {
  const result: FpmTest = { ok: false, global: {}, pools: [], errors: [] };
  let current: Record<string, string> | null = null;
  for (const raw of stderr.split('\n')) {
    const m = /^\[[^\]]*\] (NOTICE|WARNING|ERROR|ALERT): (.*)$/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const [, level, body] = m as unknown as [string, string, string];
    if (level === 'ERROR' || level === 'ALERT') {
      result.errors.push(body.trim());
      continue;
    }
    if (/^configuration file .* test is successful$/.test(body.trim())) {
      result.ok = true;
      continue;
    }
    const section = /^\[([^\]]+)\]$/.exec(body.trim());
    if (section) {
      const name = section[1] as string;
      if (name === 'global') current = result.global;
      else {
        const pool = { name, values: {} as Record<string, string> };
        result.pools.push(pool);
        current = pool.values;
      }
      continue;
    }
    const setting = /^\t([\w.]+) = (.*)$/.exec(body);
    if (setting && current && setting[2] !== 'undefined') current[setting[1] as string] = setting[2] as string;
  }
  return result;
}

export interface IniEntry {
  key: string;
  value: string;
  line: number;
  /** The line as written, trimmed. */
  text: string;
}

export interface IniSection {
  name: string;
  line: number;
  entries: IniEntry[];
}

/** php-fpm's ini files: "[name]" sections, "key = value", ";" and "#" comments, optional quotes. */
export function parseFpmIni(text: string): IniSection[] {
  const sections: IniSection[] = [{ name: 'global', line: 0, entries: [] }];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1] as string, line: index + 1, entries: [] });
      return;
    }
    const m = /^([\w.[\]-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) return;
    let value = (m[2] as string).trim();
    if (/^"[^"]*"$/.test(value) || /^'[^']*'$/.test(value)) value = value.slice(1, -1);
    sections.at(-1)?.entries.push({ key: m[1] as string, value, line: index + 1, text: line });
  });
  return sections;
}

/** The include= lines of a main config (every section may hold one; [global] usually does). */
export function fpmIncludes(sections: readonly IniSection[]): string[] {
  return sections.flatMap((s) => s.entries.filter((e) => e.key === 'include').map((e) => e.value));
}

/**
 * An include pattern as `find DIR -maxdepth 1 -name PATTERN -type f` arguments. Only the file name may
 * hold glob characters; a relative pattern depends on php-fpm's compiled prefix, so it is not guessed.
 */
export function includeSearch(pattern: string): { dir: string; name: string } | null {
  if (!pattern.startsWith('/')) return null;
  const slash = pattern.lastIndexOf('/');
  const dir = pattern.slice(0, slash) || '/';
  if (/[*?[]/.test(dir)) return null;
  return { dir, name: pattern.slice(slash + 1) };
}

/** Files read for one include, and how much of each and of all of them. */
const MAX_INCLUDED = 16;
const INCLUDED_BYTES = 131_072;
const ALL_INCLUDED_BYTES = 1_048_576;

/**
 * The files an include's search matches, in name order, each printed after a line "\x1e<path>": found and
 * read in one round (the pool files hold the lines a fix edits).
 */
export function includedFilesCommand(search: { dir: string; name: string }): string[] {
  const script = `find "$1" -maxdepth 1 -name "$2" -type f | LC_ALL=C sort | head -n ${MAX_INCLUDED} | while IFS= read -r f; do printf '\\036%s\\n' "$f"; head -c ${INCLUDED_BYTES} -- "$f"; echo; done | head -c ${ALL_INCLUDED_BYTES}`;
  return ['sh', '-c', script, 'fpm-include', search.dir, search.name];
}

export const FPM_KEYS: readonly FpmKey[] = ['listen', 'listen.owner', 'listen.group', 'listen.mode', 'user', 'group', 'request_terminate_timeout', 'pm', 'pm.max_children', 'pm.max_requests'];

/** Where each pool's settings are written, over every file read: the first [name] section wins. */
export type PoolPlaces = { section: ConfigPlace; places: Partial<Record<FpmKey, ConfigPlace & { text: string }>> };

export function poolPlaces(files: readonly { file: string; text: string }[]): Map<string, PoolPlaces> {
  const out = new Map<string, PoolPlaces>();
  for (const { file, text } of files) {
    for (const section of parseFpmIni(text)) {
      if (section.name === 'global') continue;
      const known = out.get(section.name) ?? { section: { file, line: section.line }, places: {} };
      for (const entry of section.entries) {
        // Later lines override earlier ones in php-fpm, so the last one is the line to edit.
        if ((FPM_KEYS as readonly string[]).includes(entry.key)) known.places[entry.key as FpmKey] = { file, line: entry.line, text: entry.text };
      }
      out.set(section.name, known);
    }
  }
  return out;
}

export type FpmListen = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string | null; port: number };

/**
 * A pool's listen value: "/run/php/x.sock", "127.0.0.1:9000", "[::1]:9000", or a bare port "9000"
 * (every address: host null).
 */
export function parseFpmListen(listen: string): FpmListen | null {
  const value = listen.trim();
  if (value.startsWith('/')) return { kind: 'unix', path: value };
  if (/^\d+$/.test(value)) return { kind: 'tcp', host: null, port: Number(value) };
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  if (!m) return null;
  const host = (m[1] ?? m[2]) as string;
  return { kind: 'tcp', host: host === '0.0.0.0' || host === '::' || host === '*' ? null : host, port: Number(m[3]) };
}

/** A listen value as nginx writes the same address: "unix:/path" or "host:port". */
export function poolAddressForNginx(listen: FpmListen): string {
  if (listen.kind === 'unix') return `unix:${listen.path}`;
  const host = listen.host ?? '127.0.0.1';
  return `${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

/**
 * The main config of an installed php-fpm and the binary that reads it: the binary whose name holds
 * the config's version ("/etc/php/8.2/fpm/php-fpm.conf" -> php-fpm8.2), else an unversioned php-fpm.
 */
export function binaryFor(conf: string, binaries: readonly string[]): string | null {
  // Debian's /etc/php/8.2/..., Remi's /etc/opt/remi/php82/...
  const version = /\/(\d)\.(\d+)\//.exec(conf) ?? /\/php(\d)(\d)\//.exec(conf);
  if (version) {
    const dotted = `${version[1]}.${version[2]}`;
    const plain = `${version[1]}${version[2]}`;
    const match = binaries.find((b) => b.endsWith(`php-fpm${dotted}`) || b.endsWith(`php${plain}-php-fpm`) || b.endsWith(`php-fpm${plain}`));
    if (match) return match;
  }
  return binaries.find((b) => /\/php-fpm$/.test(b)) ?? (binaries.length === 1 ? (binaries[0] as string) : null);
}

/** Service names a php-fpm binary usually has: Debian's php8.2-fpm, RHEL's php-fpm, Remi's php82-php-fpm. */
export function fpmServiceNames(binary: string): string[] {
  const base = binary.slice(binary.lastIndexOf('/') + 1);
  const versioned = /^php-fpm(\d+\.\d+)$/.exec(base);
  const names = versioned ? [`php${versioned[1]}-fpm`] : [];
  const remi = /\/opt\/remi\/(php\d+)\//.exec(binary);
  if (remi) names.push(`${remi[1]}-php-fpm`);
  names.push('php-fpm');
  return [...new Set(names)];
}
