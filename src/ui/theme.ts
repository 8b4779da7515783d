/** Colours only when the person wants them: NO_COLOR (any value) turns every colour off. */
export function colorsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

export type Tone = 'ok' | 'warn' | 'bad' | 'dim' | 'accent';

const COLORS: Record<Tone, string> = { ok: 'green', warn: 'yellow', bad: 'red', dim: 'gray', accent: 'cyan' };

export function tone(name: Tone): string | undefined {
  return colorsEnabled() ? COLORS[name] : undefined;
}

export const SYMBOLS = { ok: '✓', warn: '!', bad: '✗', arrow: '→', prompt: '$' } as const;
