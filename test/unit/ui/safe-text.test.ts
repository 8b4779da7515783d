import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every file under a folder of src, with its text. */
function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => ({ file: join(folder, f), text: readFileSync(join(folder, f), 'utf8') }));
}

describe('screen text goes through the one sanitiser (issue 16)', () => {
  it('src takes Text from src/ui/text.tsx, never from ink, so every string a screen shows is stripped', () => {
    const offenders = sources('src').filter(({ file, text }) => file !== 'src/ui/text.tsx' && /import\s*\{[^}]*\bText\b[^}]*\}\s*from\s*'ink'/.test(text));
    expect(offenders.map((o) => o.file)).toEqual([]);
  });

  it('ink-select-input, which draws its labels itself, is used only by the menu, which strips them', () => {
    const users = sources('src').filter(({ text }) => text.includes("from 'ink-select-input'"));
    expect(users.map((u) => u.file)).toEqual(['src/ui/menu.tsx']);
  });

  it('nothing writes to stderr but src/shell/stderr.ts', () => {
    const writers = sources('src').filter(({ file, text }) => file !== 'src/shell/stderr.ts' && /process\.stderr\.write|console\.(log|error|warn|info)/.test(text));
    expect(writers.map((w) => w.file)).toEqual([]);
  });
});
