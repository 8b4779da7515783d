/**
 * What "done" is checked against, and the score: pure. The probes that fill a Findings run in the box
 * (src/live/inspect.ts); this file only decides.
 */
export interface Findings {
  /** The failing request's status through nginx now. */
  status: number;
  /** `nginx -t`: passed, and what it said when it did not. */
  configTest: { ok: boolean; said: string };
  /** The box's other site's status. */
  otherSite: number;
  /** After a restart of the box (every process ended, the backend and nginx started as at boot): what failed to start, and the request's status then. */
  durable: { restartFailed: string | null; status: number } | null;
}

export interface CheckLine {
  ok: boolean;
  text: string;
}

/** The checklist a trainee reads after saying "done": one line per thing that must hold. */
export function verdict(f: Findings, names: { url: string; otherUrl: string; boot: string }): CheckLine[] {
  const lines: CheckLine[] = [
    { ok: f.status === 200, text: f.status === 200 ? `${names.url} answers 200 through nginx` : `${names.url} answers ${f.status || 'nothing'} through nginx (200 expected)` },
    { ok: f.configTest.ok, text: f.configTest.ok ? 'nginx -t: the configuration test passes' : `nginx -t fails: ${f.configTest.said}` },
    {
      ok: f.otherSite === 200,
      text: f.otherSite === 200 ? `the other site ${names.otherUrl} still answers` : `the other site ${names.otherUrl} answers ${f.otherSite || 'nothing'} (it answered 200 before)`,
    },
  ];
  if (!f.durable) lines.push({ ok: false, text: `not tried yet: a restart of the box (${names.boot}); the fix must survive it` });
  else if (f.durable.restartFailed) lines.push({ ok: false, text: `after a restart of the box, ${f.durable.restartFailed} failed: the box does not come up the way it boots` });
  else
    lines.push({
      ok: f.durable.status === 200,
      text:
        f.durable.status === 200
          ? `after a restart of the box (${names.boot}) it still answers: the fix is durable`
          : `after a restart of the box (${names.boot}) it answers ${f.durable.status || 'nothing'}: the fix did not last`,
    });
  return lines;
}

export const passed = (lines: readonly CheckLine[]): boolean => lines.every((l) => l.ok);

export interface Score {
  points: number;
  parMinutes: number;
  minutes: number;
  hintPenalty: number;
  timePenalty: number;
}

/**
 * 100 points, less 10 a hint (at most 50) and 2 a minute beyond par (at most 30); par is 3 minutes per
 * level of difficulty.
 */
export function score(input: { hints: number; seconds: number; difficulty: number }): Score {
  const parMinutes = 3 * input.difficulty;
  const minutes = Math.floor(input.seconds / 60);
  const hintPenalty = Math.min(50, 10 * input.hints);
  const timePenalty = Math.min(30, 2 * Math.max(0, minutes - parMinutes));
  return { points: 100 - hintPenalty - timePenalty, parMinutes, minutes, hintPenalty, timePenalty };
}

/** "m:ss" for a duration in seconds. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
