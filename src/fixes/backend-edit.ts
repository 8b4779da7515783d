/**
 * Edits to a gunicorn or uwsgi backend's own settings: flags on the supervisord program's command= line,
 * keys of the uwsgi app ini; and how many workers and how long a queue to ask for. Pure.
 */
import type { BackendSetting, BackendSettings } from '../system/backend-settings.js';
import type { ConfigEdit } from './plan.js';

/** gunicorn's long flag for each setting a fix sets on its command line. */
const GUNICORN_FLAG: Partial<Record<BackendSetting, string>> = { workers: '--workers', backlog: '--backlog', umask: '--umask', group: '--group' };
/** The uwsgi key a fix writes when the ini has none for the setting. */
const UWSGI_KEY: Partial<Record<BackendSetting, string>> = { workers: 'processes', backlog: 'listen', 'chmod-socket': 'chmod-socket', 'chown-socket': 'chown-socket' };

/** The command line with each flag set: its value replaced where it is given, else the flag added after the program. */
export function setGunicornFlags(command: string, wanted: Partial<Record<BackendSetting, string>>): string {
  const words = command.split(' ');
  for (const [setting, value] of Object.entries(wanted) as [BackendSetting, string][]) {
    const flag = GUNICORN_FLAG[setting];
    if (!flag) continue;
    const short = setting === 'workers' ? '-w' : setting === 'group' ? '-g' : null;
    const at = words.findIndex((w) => w === flag || w === short || w.startsWith(`${flag}=`) || (setting === 'workers' && /^-w\d+$/.test(w)));
    const word = words[at];
    if (word === undefined) {
      const program = words.findIndex((w) => /(^|\/)gunicorn3?$/.test(w));
      words.splice(program + 1, 0, flag, value);
    } else if (word.includes('=')) words[at] = `${flag}=${value}`;
    else if (word === flag || word === short) words[at + 1] = value;
    else words[at] = `-w${value}`;
  }
  return words.join(' ');
}

/** The edits that give the backend these settings, in the file its service definition reads. */
export function backendEdits(settings: BackendSettings, wanted: Partial<Record<BackendSetting, string>>, why: string): ConfigEdit[] {
  const changed = (Object.entries(wanted) as [BackendSetting, string][]).filter(([key, value]) => settings.values[key] !== value);
  if (!changed.length) return [];
  const { anchor } = settings;
  if (settings.program === 'gunicorn') {
    const flags = Object.fromEntries(changed.filter(([key]) => GUNICORN_FLAG[key]));
    // The program's user= is supervisord's; gunicorn's --group sets the socket's group.
    const owners = settings.definedBy === 'supervisor' || !settings.definedBy ? changed.filter(([key]) => key === 'user') : [];
    const edits: ConfigEdit[] = [];
    if (Object.keys(flags).length) {
      const around = settings.around ?? { before: 'command=', after: '' };
      const command = settings.around ? anchor.text.slice(around.before.length, anchor.text.length - around.after.length) : anchor.text.replace(/^command\s*=\s*/, '');
      edits.push({ file: anchor.file, line: anchor.line, before: anchor.text, after: `${around.before}${setGunicornFlags(command, flags)}${around.after}`, why });
    }
    for (const [key, value] of owners) {
      const place = settings.places[key];
      if (place && place.line !== anchor.line) edits.push({ file: place.file, line: place.line, before: place.text, after: `${key}=${value}`, why });
      else if (!place) edits.push({ file: anchor.file, line: anchor.line, before: anchor.text, after: `${anchor.text}\n${key}=${value}`, why });
    }
    return mergeSameLine(edits);
  }
  const edits: ConfigEdit[] = [];
  const missing: string[] = [];
  for (const [key, value] of changed) {
    const place = settings.places[key];
    const name = place ? (/^([\w-]+)/.exec(place.text)?.[1] ?? UWSGI_KEY[key]) : UWSGI_KEY[key];
    if (!name) continue;
    if (place) edits.push({ file: place.file, line: place.line, before: place.text, after: `${name} = ${value}`, why });
    else missing.push(`${name} = ${value}`);
  }
  if (missing.length) edits.push({ file: anchor.file, line: anchor.line, before: anchor.text, after: [anchor.text, ...missing].join('\n'), why });
  return edits;
}

/** Two edits of one line (flags, then a user= added after it) become one. */
function mergeSameLine(edits: ConfigEdit[]): ConfigEdit[] {
  const out: ConfigEdit[] = [];
  for (const edit of edits) {
    const same = out.find((e) => e.file === edit.file && e.line === edit.line);
    if (same) same.after = `${same.after}${edit.after.slice(edit.before.length)}`;
    else out.push({ ...edit });
  }
  return out;
}

export interface WorkerSizing {
  suggested: number;
  /** The numbers behind it, in words. */
  why: string;
}

/**
 * How many workers to run: gunicorn's own rule of thumb (2 x CPUs + 1), at least one more than now, and no
 * more than the available memory holds at the workers' average size (keeping a fifth of it free).
 */
export function suggestWorkers(current: number, rssKb: readonly number[], availableKb: number | null, cpus: number | null): WorkerSizing {
  const byCpu = cpus ? 2 * cpus + 1 : current * 2;
  const average = rssKb.length ? rssKb.reduce((a, b) => a + b, 0) / rssKb.length : null;
  const room = average !== null && availableKb !== null ? Math.floor((availableKb * 0.8) / Math.max(average, 1)) : null;
  const wanted = Math.max(current + 1, byCpu);
  const suggested = room === null ? wanted : Math.max(current + 1, Math.min(wanted, current + room));
  const parts = [
    cpus ? `${cpus} CPU${cpus === 1 ? '' : 's'} (2 x CPUs + 1 = ${byCpu})` : `twice the ${current} now`,
    ...(average !== null ? [`each worker uses about ${Math.round(average / 1024)} MB`] : []),
    ...(availableKb !== null ? [`${Math.round(availableKb / 1024)} MB available`] : []),
  ];
  return { suggested, why: `${current} -> ${suggested}: ${parts.join(', ')}` };
}

/** A listen queue that overflowed: four times as long (at least 128), but never past net.core.somaxconn, which caps it anyway. */
export function suggestBacklog(current: number, somaxconn: number | null): number {
  const wanted = Math.max(128, current * 4);
  return somaxconn ? Math.min(wanted, somaxconn) : wanted;
}
