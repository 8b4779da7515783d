/**
 * The timeline a person reads at a glance: 502s and 504s per minute as two rows of bars, a row of markers
 * (R restart, X a crash or unexpected exit, O an OOM kill, S a saturation warning) and the times at both
 * ends. Pure: the same lines go to the wizard and, fenced, to the Markdown report.
 */
import type { HistoryReport } from './types.js';

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const MARK: Record<string, string> = { restart: 'R', exit: 'X', fatal: 'X', 'child-killed': 'X', 'oom-kill': 'O', 'max-children': 'S' };
/** Where two markers share a column, the one more likely to explain the failures wins. */
const RANK = ['O', 'S', 'X', 'R'];

const minuteOf = (t: string) => Date.parse(`${t}:00Z`);
const label = (ms: number) => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');

function bar(count: number, top: number): string {
  if (count === 0) return '·';
  return BARS[Math.min(BARS.length - 1, Math.ceil((count / top) * BARS.length) - 1)] as string;
}

/** The chart's lines, at most `width` columns of minutes (several minutes per column for a long span); [] when nothing happened. */
export function timelineLines(history: Pick<HistoryReport, 'per_minute' | 'markers'>, width = 60): string[] {
  const minutes = [...history.per_minute.map((m) => minuteOf(m.t)), ...history.markers.map((m) => minuteOf(m.t))].filter(Number.isFinite);
  if (!history.per_minute.length || !minutes.length) return [];
  const from = Math.min(...minutes);
  const to = Math.max(...minutes);
  const span = Math.round((to - from) / 60_000) + 1;
  const per = Math.max(1, Math.ceil(span / Math.max(1, width)));
  const columns = Math.ceil(span / per);
  const column = (t: string) => Math.floor(Math.round((minuteOf(t) - from) / 60_000) / per);
  const c502 = new Array<number>(columns).fill(0);
  const c504 = new Array<number>(columns).fill(0);
  const marks = new Array<string>(columns).fill(' ');
  for (const m of history.per_minute) {
    const at = column(m.t);
    c502[at] = (c502[at] ?? 0) + m['502'];
    c504[at] = (c504[at] ?? 0) + m['504'];
  }
  for (const m of history.markers) {
    const mark = MARK[m.kind];
    const at = column(m.t);
    if (mark && (marks[at] === ' ' || RANK.indexOf(mark) < RANK.indexOf(marks[at] as string))) marks[at] = mark;
  }
  const top = Math.max(1, ...c502, ...c504);
  const total = (list: number[]) => list.reduce((a, b) => a + b, 0);
  const unit = per === 1 ? 'per minute' : `per ${per} minutes`;
  const ends = `${label(from)} ${' '.repeat(Math.max(1, columns - 22))} ${label(to + (per - 1) * 60_000)}`;
  return [
    `502 ${c502.map((c) => bar(c, top)).join('')}  ${total(c502)}`,
    `504 ${c504.map((c) => bar(c, top)).join('')}  ${total(c504)}`,
    `    ${marks.join('').trimEnd()}`,
    `    ${columns >= 24 ? ends : `${label(from)} to ${label(to + (per - 1) * 60_000)}`}  (${unit}, top ${top}; R restart X crash O OOM S saturated)`,
  ];
}
