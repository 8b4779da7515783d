export interface TestFailure {
  level: string;
  message: string;
  file: string | null;
  line: number | null;
}

/*
 * nginx prints a failure in one of two forms, depending on where its error log goes at that moment:
 *   nginx: [emerg] unknown directive "x" in /etc/nginx/nginx.conf:12                (log is a file)
 *   2024/01/02 03:04:05 [emerg] 123#123: unknown directive "x" in /etc/...:12      (log is stderr, e.g. Debian)
 */
const LINE = /^(?:nginx: |\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )\[(emerg|alert|crit)\] (?:\d+#\d+: )?(.*)$/;
const PLACE = /^(.*) in (\/.*):(\d+)$/;

/** The error that made `nginx -t` / `nginx -T` fail, or null when its stderr shows no failure. */
export function parseTestFailure(stderr: string): TestFailure | null {
  const found: TestFailure[] = [];
  for (const raw of stderr.split('\n')) {
    const m = LINE.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const text = m[2]!;
    const place = PLACE.exec(text);
    found.push(place ? { level: m[1]!, message: place[1]!, file: place[2]!, line: Number(place[3]) } : { level: m[1]!, message: text, file: null, line: null });
  }
  // [emerg] is what stops nginx; an [alert] such as "could not open error log file" alone does not fail the test.
  const emerg = found.find((f) => f.level === 'emerg');
  if (emerg) return emerg;
  if (/test is successful/.test(stderr)) return null;
  return found[0] ?? null;
}
