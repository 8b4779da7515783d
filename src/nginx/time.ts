const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** nginx time values: "60", "60s", "1m30s", "500ms". */
export function parseNginxTime(value: string): number | null {
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h|d)?/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== value) return null;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (TIME_UNITS[p[2] ?? 's'] as number), 0);
}
