/**
 * The settings of a gunicorn or uwsgi backend as its service definition writes them, with the line of
 * each: gunicorn's flags on the `command=` line of its supervisord program (and the program's user= and
 * group=), on the line of its init script or /etc/default file that binds its address, or on its systemd
 * unit's ExecStart=; uwsgi's `key = value` lines in the [uwsgi] section of its app ini. A fix edits these lines.
 */
import type { BackendSetting, BackendSettings, SettingPlace } from '../facts/keys.js';

export type { BackendSetting, BackendSettings } from '../facts/keys.js';

/** gunicorn's spellings of the flags a fix changes. */
const GUNICORN_FLAGS: Record<string, BackendSetting> = {
  '--workers': 'workers',
  '-w': 'workers',
  '--backlog': 'backlog',
  '--umask': 'umask',
  '--user': 'user',
  '-u': 'user',
  '--group': 'group',
  '-g': 'group',
};

/** uwsgi's keys (and their synonyms) for the settings a fix changes. */
const UWSGI_KEYS: Record<string, BackendSetting> = {
  processes: 'workers',
  workers: 'workers',
  listen: 'backlog',
  'chmod-socket': 'chmod-socket',
  'chown-socket': 'chown-socket',
  uid: 'user',
  gid: 'group',
};

/** The value each gunicorn flag is given on a command line ("--workers 2", "--workers=2", "-w2"). */
export function gunicornFlags(command: string): Partial<Record<BackendSetting, string>> {
  const words = command.trim().split(/\s+/);
  const out: Partial<Record<BackendSetting, string>> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : word;
    const setting = GUNICORN_FLAGS[name];
    if (setting && eq > 0) out[setting] = word.slice(eq + 1);
    else if (setting && words[i + 1] !== undefined) out[setting] = words[++i] as string;
    else if (/^-w\d+$/.test(word)) out.workers = word.slice(2);
  }
  return out;
}

/** The trimmed lines of an ini file's [NAME] sections (a repeated one goes on), each with its place, and the first header; null when there is none. */
function iniSection(file: string, text: string, name: string): { header: SettingPlace; lines: SettingPlace[] } | null {
  let found: { header: SettingPlace; lines: SettingPlace[] } | null = null;
  let inside = false;
  text.split('\n').forEach((raw, index) => {
    const place = { file, line: index + 1, text: raw.trim() };
    const section = /^\[([^\]]+)\]$/.exec(place.text);
    if (section) {
      inside = (section[1] as string).trim() === name;
      if (inside) found ??= { header: place, lines: [] };
    } else if (inside) found?.lines.push(place);
  });
  return found;
}

/**
 * A line that gives gunicorn its flags, split around them: a shell variable (`DAEMON_OPTS="--workers 2 ..."`,
 * as an init script's /etc/default file holds them), or a command line that runs gunicorn (supervisord's
 * command=, systemd's ExecStart=, an init script's start-stop-daemon line, a trailing `\` kept apart).
 */
export function gunicornLine(text: string): { before: string; flags: string; after: string } | null {
  const variable = /^((?:export\s+)?[A-Za-z_]\w*=(["']?))(.*?)(\2\s*)$/.exec(text);
  if (variable && !/(^|[\s=/])gunicorn3?(\s|$)/.test(variable[3] as string)) {
    return { before: variable[1] as string, flags: variable[3] as string, after: variable[4] as string };
  }
  const command = /^(.*?(?:^|[\s=/])gunicorn3?(?:\s+|$))(.*?)(\s*\\)?$/.exec(text);
  if (!command) return null;
  // start-stop-daemon's `--startas /usr/bin/gunicorn -- FLAGS`: what comes before the `--` is not gunicorn's.
  const passed = /^--(\s+|$)/.exec(command[2] as string);
  const before = `${command[1]}${passed?.[0] ?? ''}`;
  return { before, flags: (command[2] as string).slice(passed?.[0].length ?? 0), after: command[3] ?? '' };
}

function flagSettings(file: string, place: SettingPlace, flags: string, definedBy: BackendSettings['definedBy'], around: BackendSettings['around']): BackendSettings {
  const values: BackendSettings['values'] = {};
  const places: BackendSettings['places'] = {};
  for (const [key, value] of Object.entries(gunicornFlags(flags)) as [BackendSetting, string][]) {
    values[key] = value;
    places[key] = place;
  }
  return { program: 'gunicorn', file, anchor: place, values, places, around, definedBy };
}

/**
 * gunicorn's flags in an init script, its /etc/default file or a systemd unit: the line that names the
 * dialled address (its --bind) and is gunicorn's command line or a variable of flags. In a unit, only ExecStart=.
 */
export function lineGunicorn(file: string, text: string, mark: string, definedBy: 'sysv' | 'systemd'): BackendSettings | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const trimmed = (lines[i] as string).trim();
    if (trimmed.startsWith('#') || !trimmed.includes(mark)) continue;
    if (definedBy === 'systemd' && !/^ExecStart=/.test(trimmed)) continue;
    const split = gunicornLine(trimmed);
    if (!split || !/(^|\s)(--bind|-b)(\s|=)/.test(` ${split.flags}`)) continue;
    const place = { file, line: i + 1, text: trimmed };
    return flagSettings(file, place, split.flags, definedBy, { before: split.before, after: split.after });
  }
  return null;
}

/** A supervisord file's [program:NAME] section running gunicorn: its command= flags and user=/group=. */
export function supervisorGunicorn(file: string, text: string, program: string): BackendSettings | null {
  let anchor: SettingPlace | null = null;
  const values: BackendSettings['values'] = {};
  const places: BackendSettings['places'] = {};
  for (const place of iniSection(file, text, `program:${program}`)?.lines ?? []) {
    const command = /^command\s*=\s*(.*)$/.exec(place.text);
    if (command && /(^|\/)gunicorn3?$/.test((command[1] as string).split(/\s+/)[0] ?? '')) {
      anchor = place;
      for (const [key, value] of Object.entries(gunicornFlags(command[1] as string)) as [BackendSetting, string][]) {
        values[key] = value;
        places[key] = place;
      }
    }
    const owner = /^(user|group)\s*=\s*(\S+)$/.exec(place.text);
    if (owner) {
      values[owner[1] as 'user' | 'group'] = owner[2] as string;
      places[owner[1] as 'user' | 'group'] = place;
    }
  }
  return anchor ? { program: 'gunicorn', file, anchor, values, places, definedBy: 'supervisor' } : null;
}

/** An app ini's [uwsgi] section: the keys a fix changes (the last line wins, as in uwsgi). */
export function uwsgiIni(file: string, text: string): BackendSettings | null {
  const section = iniSection(file, text, 'uwsgi');
  if (!section) return null;
  const values: BackendSettings['values'] = {};
  const places: BackendSettings['places'] = {};
  for (const place of section.lines) {
    const m = /^([\w-]+)\s*=\s*(.*?)\s*$/.exec(place.text);
    const setting = m ? UWSGI_KEYS[m[1] as string] : undefined;
    if (m && setting) {
      values[setting] = m[2] as string;
      places[setting] = place;
    }
  }
  return { program: 'uwsgi', file, anchor: section.header, values, places };
}
